/**
 * NUL and lone UTF-16 surrogates in text from outside. SQLite and PostgreSQL drivers fail on them
 * deep inside a query (or store text that is no longer valid UTF-8), and NUL cuts process
 * arguments, so they are refused at the boundary with the field that holds them.
 */
const BAD = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function textProblem(s: string): string | null {
  const m = BAD.exec(s);
  if (!m) return null;
  return m[0] === "\u0000" ? "must not contain NUL characters" : "must not contain unpaired UTF-16 surrogates (invalid Unicode)";
}

export type BadText = { path: (string | number)[]; message: string };

/**
 * The first string (value or object key) in `value` holding NUL or a lone surrogate, with its
 * path; null when there is none. Walks with an explicit stack, so deep nesting cannot overflow.
 */
export function findBadText(value: unknown): BadText | null {
  // Each entry links to its parent, so the path is built only for a hit: deep nesting stays linear.
  type At = { key: string | number; up: At | null } | null;
  const pathOf = (at: At, last?: string) => {
    const out: (string | number)[] = last === undefined ? [] : [last];
    for (let a = at; a; a = a.up) out.push(a.key);
    return out.reverse();
  };
  const stack: { v: unknown; at: At }[] = [{ v: value, at: null }];
  while (stack.length) {
    const { v, at } = stack.pop()!;
    if (typeof v === "string") {
      const message = textProblem(v);
      if (message) return { path: pathOf(at), message };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], at: { key: i, up: at } });
    } else if (v !== null && typeof v === "object") {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const message = textProblem(keys[i]);
        if (message) return { path: pathOf(at, keys[i]), message: `key ${message}` };
        stack.push({ v: (v as Record<string, unknown>)[keys[i]], at: { key: keys[i], up: at } });
      }
    }
  }
  return null;
}

/** "points.3.key: must not contain NUL characters", or "input: …" for a bare string. */
export const describeBadText = (b: BadText) => `${b.path.length ? b.path.join(".") : "input"}: ${b.message}`;

/**
 * `s` cut to at most `max` code units, with any lone surrogate (one left by the cut included)
 * replaced by U+FFFD, so that text a process sends on is never refused by the guard above.
 */
export function wellFormed(s: string, max = Infinity): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  return cut.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}
