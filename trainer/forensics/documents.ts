/**
 * The documents a training window holds. A window is T+1 consecutive tokens of its domain's
 * (filtered) stream; it is split at each end-of-text, and each piece is placed in the stream as
 * prepared, where its document starts just after the previous end-of-text.
 */
import { toOriginal } from "../data/stream-filter";

/** Tokens scanned back or forward from a window to find its documents' bounds. */
const MAX_SCAN = 1_000_000;

export interface WindowPiece {
  docStart: number;
  docLength: number | null;
  offset: number;
  ids: number[];
}

/**
 * `filtered`: the domain's training stream as the run sampled it, `origin` its map to `original`
 * (null when nothing was cut), `start` the window's first filtered position.
 */
export function windowPieces(filtered: Uint16Array, origin: Uint32Array | null, original: Uint16Array, start: number, T: number, eotId: number): WindowPiece[] {
  const pieces: WindowPiece[] = [];
  let current: WindowPiece | null = null;
  for (let i = 0; i <= T; i++) {
    const at = (start + i) % filtered.length;
    const id = filtered[at];
    const pos = toOriginal(origin, at);
    // A new piece at the window's start, after an end-of-text, or where the stream wraps or skips a cut.
    if (!current || current.offset + current.ids.length !== pos) {
      current = { docStart: documentStart(original, pos, eotId), docLength: null, offset: pos, ids: [] };
      pieces.push(current);
    }
    current.ids.push(id);
    if (id === eotId) current = null;
  }
  for (const p of pieces) p.docLength = documentEnd(original, p.offset, eotId) - p.docStart;
  return pieces.map((p) => ({ ...p, docLength: p.docLength !== null && p.docLength > 0 ? p.docLength : null }));
}

function documentStart(original: Uint16Array, pos: number, eotId: number): number {
  const stop = Math.max(0, pos - MAX_SCAN);
  for (let i = pos - 1; i >= stop; i--) if (original[i] === eotId) return i + 1;
  return stop;
}

/** Just past the end-of-text that ends the document holding `pos`; a bounded scan gives up at -1 → length null. */
function documentEnd(original: Uint16Array, pos: number, eotId: number): number {
  const stop = Math.min(original.length, pos + MAX_SCAN);
  for (let i = pos; i < stop; i++) if (original[i] === eotId) return i + 1;
  return stop === original.length ? original.length : Number.NaN;
}
