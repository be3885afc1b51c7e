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
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v === "string") {
      const message = textProblem(v);
      if (message) return { path, message };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] });
    } else if (v !== null && typeof v === "object") {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const message = textProblem(keys[i]);
        if (message) return { path: [...path, keys[i]], message: `key ${message}` };
        stack.push({ v: (v as Record<string, unknown>)[keys[i]], path: [...path, keys[i]] });
      }
    }
  }
  return null;
}

/** "points.3.key: must not contain NUL characters", or "input: …" for a bare string. */
export const describeBadText = (b: BadText) => `${b.path.length ? b.path.join(".") : "input"}: ${b.message}`;
