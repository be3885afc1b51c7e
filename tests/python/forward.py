"""An independent forward pass of an exported checkpoint, in NumPy (float64).

Usage: python3 forward.py EXPORT_DIR < token_sequences.json > logits.json

The hyperparameters come from EXPORT_DIR/config.json alone, the weights from
model.safetensors, parsed here from its header (8-byte little-endian header length, a JSON
header of {name: {dtype, shape, data_offsets}}, then the raw data). Nothing from the trainer is
imported: this rebuilds the model from what the export documents.
"""
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    data = raw[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {info['dtype']}, expected F32")
        start, stop = info["data_offsets"]
        out[name] = np.frombuffer(data[start:stop], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    return out


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def rms_norm(x, g, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


def silu(x):
    return x / (1.0 + np.exp(-x))


def rotary(x, cfg):
    """x [T, n_head, head_dim]: rotate-half pairs (i, i + head_dim/2), positions from position_offset."""
    if cfg["rope_pairing"] != "rotate_half":
        raise ValueError(f"rope_pairing {cfg['rope_pairing']} is not handled")
    T, _, hd = x.shape
    half = hd // 2
    pos = np.arange(T, dtype=np.float64) + cfg["position_offset"]
    inv = cfg["rope_theta"] ** (-2.0 * np.arange(half, dtype=np.float64) / hd)
    angle = pos[:, None] * inv[None, :]  # [T, half]
    cos = np.concatenate([np.cos(angle)] * 2, -1)[:, None, :]
    sin = np.concatenate([np.sin(angle)] * 2, -1)[:, None, :]
    rotated = np.concatenate([-x[..., half:], x[..., :half]], -1)
    return x * cos + rotated * sin


def attention(q, k, v, cfg):
    """q, k, v [T, d_model], head h in columns h*head_dim onward; causal."""
    T = q.shape[0]
    H, hd = cfg["n_head"], cfg["head_dim"]
    q, k, v = (t.reshape(T, H, hd) for t in (q, k, v))
    if cfg["positions"] == "rotary":
        q, k = rotary(q, cfg), rotary(k, cfg)
    scores = np.einsum("thd,shd->hts", q, k) / np.sqrt(hd)
    scores = np.where(np.tril(np.ones((T, T), dtype=bool))[None], scores, -np.inf)
    scores -= scores.max(-1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(-1, keepdims=True)
    return np.einsum("hts,shd->thd", p, v).reshape(T, H * hd)


def forward(cfg, w, ids):
    arch = cfg["architecture"]
    eps = cfg["norm_eps"]
    x = w["wte"][ids]
    if cfg["positions"] == "learned":
        x = x + w["wpe"][cfg["position_offset"] : cfg["position_offset"] + len(ids)]
    for l in range(cfg["n_layer"]):
        p = lambda n: w[f"h.{l}.{n}"]
        if arch == "gpt2":
            h = layer_norm(x, p("ln_1.g"), p("ln_1.b"), eps)
            qkv = h @ p("attn.c_attn.w") + p("attn.c_attn.b")
            d = cfg["d_model"]
            y = attention(qkv[:, :d], qkv[:, d : 2 * d], qkv[:, 2 * d :], cfg)
            x = x + y @ p("attn.c_proj.w") + p("attn.c_proj.b")
            m = gelu_tanh(layer_norm(x, p("ln_2.g"), p("ln_2.b"), eps) @ p("mlp.c_fc.w") + p("mlp.c_fc.b"))
            x = x + m @ p("mlp.c_proj.w") + p("mlp.c_proj.b")
        elif arch == "llama":
            h = rms_norm(x, p("attn_norm.g"), eps)
            y = attention(h @ p("attn.wq"), h @ p("attn.wk"), h @ p("attn.wv"), cfg)
            x = x + y @ p("attn.wo")
            m = rms_norm(x, p("mlp_norm.g"), eps)
            x = x + (silu(m @ p("mlp.w1")) * (m @ p("mlp.w3"))) @ p("mlp.w2")
        else:
            raise ValueError(f"architecture {arch} is not handled")
    if arch == "gpt2":
        x = layer_norm(x, w["ln_f.g"], w["ln_f.b"], eps)
    else:
        x = rms_norm(x, w["norm_f.g"], eps)
    return x @ w["wte"].T


def main():
    export_dir = sys.argv[1]
    with open(f"{export_dir}/config.json") as f:
        cfg = json.load(f)
    w = read_safetensors(f"{export_dir}/model.safetensors")
    expected = {"wte": [cfg["vocab_size"], cfg["d_model"]]}
    if cfg["architecture"] == "llama":
        expected["h.0.mlp.w1"] = [cfg["d_model"], cfg["intermediate_size"]]
    else:
        expected["h.0.mlp.c_fc.w"] = [cfg["d_model"], cfg["intermediate_size"]]
    for name, shape in expected.items():
        if list(w[name].shape) != shape:
            raise ValueError(f"{name} is {list(w[name].shape)}, config.json implies {shape}")
    if not cfg["bias"] and any(n.endswith(".b") for n in w):
        raise ValueError("config.json says bias false, but the weights hold biases")
    sequences = json.load(sys.stdin)
    json.dump([forward(cfg, w, np.asarray(ids)).tolist() for ids in sequences], sys.stdout)


if __name__ == "__main__":
    main()
