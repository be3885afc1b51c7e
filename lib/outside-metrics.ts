import { MetricPoint } from "./protocol";

/**
 * Outside runs (MLflow clients, TensorBoard files) name their metrics freely; our stored keys are
 * short lowercase paths. Each original name gets one stored key, recorded beside it so the mapping
 * is reversible: the UI and the MLflow API show and accept the original name.
 *
 * The dashboard gives five keys a meaning (charts, detectors, the runs table, comparison): these
 * are roles. The name an outside trainer uses for a role (train/loss, eval_loss, learning_rate…) is
 * stored under the role's key, so an outside run's loss charts, alerts and compares beside ours.
 */
export const ROLES = ["loss", "val_loss", "grad_norm", "lr", "tokens_per_sec"] as const;
export type Role = (typeof ROLES)[number];
export type KeyRoles = Partial<Record<Role, string>>;

/** Names trainers commonly use for each role (Hugging Face, Lightning, nanoGPT, torchtitan, Megatron), compared lowercase. */
export const ROLE_GUESSES: Record<Role, readonly string[]> = {
  loss: ["loss", "train/loss", "train_loss", "loss/train", "training_loss", "train/lm_loss", "lm_loss", "lm loss", "train/loss_step", "train_loss_step", "loss_metrics/global_avg_loss"],
  val_loss: ["val_loss", "val/loss", "eval/loss", "eval_loss", "validation_loss", "valid/loss", "loss/val", "val_loss_epoch", "lm loss validation"],
  grad_norm: ["grad_norm", "train/grad_norm", "gradient_norm", "grad-norm", "grad_norm/total", "train/gradient_norm", "optim/grad_norm"],
  lr: ["lr", "learning_rate", "train/learning_rate", "train/lr", "lr-adamw", "lr-adam", "learning-rate", "optim/lr"],
  tokens_per_sec: ["tokens_per_sec", "throughput(tps)", "throughput", "tps", "tokens_per_second", "train/tokens_per_second", "perf/tokens_per_sec"],
};

/** A tag that sets a role explicitly: `pretrain.key.loss` = `my_loss`. */
export const ROLE_TAG_PREFIX = "pretrain.key.";

const PLAIN = /^[a-z0-9_/.]{1,64}$/;
const HASHED_PREFIX = "_h.";

/** The role a not-yet-seen name takes, if it looks like one whose place is still free. */
export function guessRole(name: string, roles: KeyRoles): Role | null {
  const lower = name.toLowerCase();
  for (const role of ROLES) if (roles[role] === undefined && ROLE_GUESSES[role].includes(lower)) return role;
  return null;
}

/**
 * The stored key of an original name: its role's key; the name itself when it is already a plain
 * key that no role claims; otherwise a readable stem and a hash of the full name. Names of the
 * hashed form always hash, so no plain name can collide with a hashed one.
 */
export function storedKey(name: string, roles: KeyRoles): string {
  for (const role of ROLES) if (roles[role] === name) return role;
  if (PLAIN.test(name) && !(ROLES as readonly string[]).includes(name) && !name.startsWith(HASHED_PREFIX)) return name;
  const stem = name.toLowerCase().replace(/[^a-z0-9_/.]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 40) || "metric";
  const key = `${HASHED_PREFIX}${stem}.${nameHash(name)}`;
  MetricPoint.shape.key.parse(key);
  return key;
}

/** Roles named by tags (`pretrain.key.<role>`), over the ones given. */
export function rolesFromTags(roles: KeyRoles, tags: Record<string, string>): KeyRoles {
  const out = { ...roles };
  for (const role of ROLES) {
    const name = tags[ROLE_TAG_PREFIX + role];
    if (name) out[role] = name;
  }
  return out;
}

/** 48 bits of two FNV-1a passes over the UTF-16 units, as hex: pure, so the browser can run it too. */
function nameHash(name: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ name.length;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c ^ (a >>> 7), 0x01000193) >>> 0;
  }
  return a.toString(16).padStart(8, "0") + (b >>> 16).toString(16).padStart(4, "0");
}
