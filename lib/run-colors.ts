/**
 * Stable run colours: every run has a preferred colour derived from its id, so it looks the same
 * on every page. Twenty colours that stay apart on a dark background, ordered so that neighbours
 * (where a collision moves a run) differ in hue and lightness.
 */
export const RUN_PALETTE = [
  "#60a5fa", "#f97316", "#4ade80", "#f43f5e", "#a78bfa", "#facc15", "#f472b6", "#22d3ee", "#a3e635", "#b45309",
  "#e2e8f0", "#2563eb", "#14b8a6", "#d946ef", "#fdba74", "#15803d", "#fca5a5", "#94a3b8", "#7c3aed", "#fde68a",
] as const;

export const MAX_COMPARED_RUNS = RUN_PALETTE.length;

/** FNV-1a: cheap, well spread over short ids, and the same in every browser and in Node. */
function hash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Index into RUN_PALETTE of the run's preferred colour. */
export function preferredSlot(runId: string): number {
  return hash(runId) % RUN_PALETTE.length;
}

export function runColor(runId: string): string {
  return RUN_PALETTE[preferredSlot(runId)];
}

/**
 * Colours for a selection, all distinct while it has at most 20 runs: in selection order each run
 * takes its preferred colour, or the next free one when an earlier run holds it. A run keeps its
 * preferred colour unless it collides, so the first run of a selection always does.
 */
export function runColors(runIds: readonly string[]): Map<string, string> {
  const taken = new Set<number>();
  const out = new Map<string, string>();
  for (const id of runIds) {
    if (out.has(id)) continue;
    let slot = preferredSlot(id);
    for (let tries = 0; taken.has(slot) && tries < RUN_PALETTE.length; tries++) slot = (slot + 1) % RUN_PALETTE.length;
    taken.add(slot);
    out.set(id, RUN_PALETTE[slot]);
  }
  return out;
}
