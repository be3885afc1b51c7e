import fs from "node:fs";
import path from "node:path";

/** A path outside the allowed roots; its message names the rule, never the file's content or existence. */
export class PathRefused extends Error {
  constructor(what: string, where = "inside DATA_DIR or an IMPORT_ROOTS directory") {
    super(`${what} must lie ${where} (after symlinks are followed)`);
    this.name = "PathRefused";
  }
}

/**
 * The real path of `p`, or of its nearest existing ancestor joined with the rest, so that a target
 * that does not exist yet is judged by where it would land.
 */
function realish(p: string): string {
  const missing: string[] = [];
  let at = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync(at), ...missing.reverse());
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return path.join(at, ...missing.reverse());
      missing.push(path.basename(at));
      at = parent;
    }
  }
}

function inside(child: string, root: string) {
  const rel = path.relative(root, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Resolves a path that came from a request or a trainer, following symlinks, and returns it only
 * if it lies inside one of `roots`; anything else throws PathRefused. Relative paths resolve
 * against the first root, so "datasets/x" means DATA_DIR/datasets/x.
 */
export function confine(p: string, roots: readonly string[], what: string, where?: string): string {
  if (p.includes("\0") || roots.length === 0) throw new PathRefused(what, where);
  const resolved = realish(path.isAbsolute(p) ? p : path.join(roots[0], p));
  if (!roots.some((r) => inside(resolved, realish(r)))) throw new PathRefused(what, where);
  return resolved;
}
