#!/usr/bin/python3
"""PyTorch side of bench/train-throughput.ts. Prints one JSON object on stdout.

  train: the trainer's GPT-2 (trainer/model/gpt2.ts: learned positions, pre-LayerNorm, fused QKV,
         tanh-GELU MLP of 4d, biases, head tied to the token embedding, additive causal mask) and
         its step (AdamW with decay on matrices only, global-norm clip), timed per step.
  gemm:  a square fp32 matmul, the machine's GEMM peak for MFU.
  blas:  only the BLAS this process runs on (every command reports it too).

Written for Debian's python3-torch 1.13 (no scaled_dot_product_attention, so attention is spelled
out; it has the same FLOPs as the trainer's).
"""
import argparse
import json
import math
import os
import re
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MASKED = -1e9  # as trainer/model/attention.ts


class Block(nn.Module):
    def __init__(self, C, H, T):
        super().__init__()
        self.H = H
        self.ln_1 = nn.LayerNorm(C, eps=1e-5)
        self.c_attn = nn.Linear(C, 3 * C)
        self.attn_proj = nn.Linear(C, C)
        self.ln_2 = nn.LayerNorm(C, eps=1e-5)
        self.c_fc = nn.Linear(C, 4 * C)
        self.mlp_proj = nn.Linear(4 * C, C)
        self.register_buffer("mask", torch.full((T, T), MASKED).triu(1))

    def forward(self, x):
        B, T, C = x.shape
        hd = C // self.H
        heads = lambda y: y.view(B, T, self.H, hd).transpose(1, 2)
        q, k, v = map(heads, self.c_attn(self.ln_1(x)).split(C, dim=2))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd)) + self.mask[:T, :T]
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.attn_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, L, C, H, T, V):
        super().__init__()
        self.wte = nn.Parameter(torch.randn(V, C) * 0.02)
        self.wpe = nn.Parameter(torch.randn(T, C) * 0.02)
        self.h = nn.ModuleList(Block(C, H, T) for _ in range(L))
        self.ln_f = nn.LayerNorm(C, eps=1e-5)
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.dim() == 2 and name.startswith("h."):
                std = 0.02 / math.sqrt(2 * L) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, idx, targets):
        B, T = idx.shape
        x = self.wte[idx] + self.wpe[:T]
        for block in self.h:
            x = block(x)
        logits = F.linear(self.ln_f(x), self.wte)
        return F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))


def train(a):
    torch.manual_seed(1337)
    model = GPT(a.layers, a.width, a.heads, a.context, a.vocab)
    params = list(model.parameters())
    # The trainer's rule (trainer/optimizers/base.ts): matrices and embeddings decay, the rest not.
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=3e-3, betas=(0.9, 0.95), eps=1e-8)
    seconds, losses = [], []
    for step in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        x = torch.randint(a.vocab, (a.batch, a.context))
        y = torch.randint(a.vocab, (a.batch, a.context))
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        # The trainer reads its loss and norm back every step; so does this.
        losses.append(loss.item())
        norm.item()
        if step >= a.warmup:
            seconds.append(time.perf_counter() - t0)
    return {"params": sum(p.numel() for p in params), "step_seconds": seconds, "loss_first": losses[0], "loss_last": losses[-1]}


def gemm(a):
    x = torch.randn(a.n, a.n)
    y = torch.randn(a.n, a.n)
    out = torch.mm(x, y)
    gflops = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        torch.mm(x, y, out=out)
        gflops.append(2 * a.n**3 / (time.perf_counter() - t0) / 1e9)
    return {"n": a.n, "gflops": gflops}


def blas():
    """The BLAS libraries mapped into this process (resolved paths) and torch's BLAS_INFO.

    Debian builds torch against the generic libblas.so.3 (BLAS_INFO=generic), so what runs is the
    library the alternatives system points at; a wheel may link MKL in statically, which only the
    build line tells. bench/blas.ts classifies the two.
    """
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))  # a lazily loaded BLAS is mapped by now
    libs = []
    try:
        with open("/proc/self/maps") as f:
            paths = {os.path.realpath(line.split()[-1]) for line in f if "/" in line}
        libs = sorted(p for p in paths if re.search(r"blas|mkl|blis|atlas|accelerate", os.path.basename(p), re.I))
    except OSError:
        pass
    m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    return {"blas": ", ".join(libs) or (m.group(1) if m else "unknown"), "blas_libs": libs, "blas_info": f"BLAS_INFO={m.group(1)}" if m else ""}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, required=True)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    for name in ["layers", "width", "heads", "context", "batch", "vocab", "steps", "warmup"]:
        t.add_argument("--" + name, type=int, required=True)
    sub.add_parser("blas")
    g = sub.add_parser("gemm")
    g.add_argument("--n", type=int, default=2048)
    g.add_argument("--reps", type=int, default=10)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    result = train(a) if a.cmd == "train" else gemm(a) if a.cmd == "gemm" else {}
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), **blas(), **result}))


if __name__ == "__main__":
    main()
