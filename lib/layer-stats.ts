/**
 * Metric keys of the trainer's per-layer statistics, shared by the trainer (which logs them), the
 * server (spike forensics) and the run page (heatmaps). One key per statistic and row:
 *   layers/<stat>/<row>   row: "emb" (embeddings), "00".."47" (blocks), "lnf" (final norm),
 *                         or "<block>.h<head>" ("03.h01") for per-head statistics
 *   logits/max, logits/log_z
 */
export const LAYER_STATS = ["grad_norm", "param_norm", "update_ratio", "act_rms", "act_max", "attn_entropy"] as const;
export type LayerStat = (typeof LAYER_STATS)[number];

export const LOGIT_MAX_KEY = "logits/max";
export const LOGIT_LOG_Z_KEY = "logits/log_z";

export type LayerRow = "emb" | "lnf" | { block: number; head?: number };

const pad = (n: number) => String(n).padStart(2, "0");

export function rowName(row: LayerRow): string {
  if (typeof row === "string") return row;
  return row.head === undefined ? pad(row.block) : `${pad(row.block)}.h${pad(row.head)}`;
}

export function layerKey(stat: LayerStat, row: LayerRow): string {
  return `layers/${stat}/${rowName(row)}`;
}

/** Where a row sits in a heatmap, top to bottom: embeddings, blocks (heads within), final norm. */
export function rowOrder(row: LayerRow): number {
  if (row === "emb") return -1;
  if (row === "lnf") return 1e6;
  return row.block * 1000 + (row.head ?? -1) + 1;
}

const KEY = /^layers\/([a-z_]+)\/(emb|lnf|(\d{2})(?:\.h(\d{2}))?)$/;

/** The statistic and row of a per-layer key, or null for any other key. */
export function parseLayerKey(key: string): { stat: LayerStat; row: LayerRow } | null {
  const m = KEY.exec(key);
  if (!m || !(LAYER_STATS as readonly string[]).includes(m[1])) return null;
  const stat = m[1] as LayerStat;
  if (m[2] === "emb" || m[2] === "lnf") return { stat, row: m[2] };
  return { stat, row: m[4] === undefined ? { block: Number(m[3]) } : { block: Number(m[3]), head: Number(m[4]) } };
}

/**
 * The row a model parameter's statistics belong to: the embeddings (wte, wpe), block l ("h.<l>.…"),
 * or the final norm (ln_f, norm_f); null for a name of neither. The LM head is tied to wte, so its
 * gradient counts in "emb".
 */
export function paramRow(name: string): LayerRow | null {
  if (name === "wte" || name === "wpe") return "emb";
  if (name.startsWith("ln_f.") || name.startsWith("norm_f.")) return "lnf";
  const m = /^h\.(\d+)\./.exec(name);
  return m ? { block: Number(m[1]) } : null;
}

/** The rows of a model of nLayer blocks, top to bottom: emb, 00.., lnf. */
export function modelRows(nLayer: number): LayerRow[] {
  return ["emb", ...Array.from({ length: nLayer }, (_, block) => ({ block })), "lnf"];
}

/** Human name of a row for labels and alert text: "block 03", "block 03 head 01", "embeddings", "final norm". */
export function rowLabel(row: LayerRow): string {
  if (row === "emb") return "embeddings";
  if (row === "lnf") return "final norm";
  const b = `block ${pad(row.block)}`;
  return row.head === undefined ? b : `${b} head ${pad(row.head)}`;
}
