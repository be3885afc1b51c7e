/**
 * Python string semantics that lm-evaluation-harness's task templates rely on, reproduced in JS so
 * that contexts and choices match the harness character for character.
 */

// Python's str.isspace() set. JS's trim() differs: it also strips U+FEFF, and keeps U+001C–U+001F
// and U+0085, which Python strips.
const PY_SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002,
  0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

export function isPySpace(ch: string): boolean {
  return ch.length === 1 && PY_SPACE.has(ch.charCodeAt(0));
}

/** Python's str.rstrip() with no argument. */
export function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && PY_SPACE.has(s.charCodeAt(end - 1))) end--;
  return s.slice(0, end);
}

/** Python's str.strip() with no argument. */
export function pyStrip(s: string): string {
  let start = 0;
  while (start < s.length && PY_SPACE.has(s.charCodeAt(start))) start++;
  return pyRstrip(s.slice(start));
}

/**
 * Characters whose titlecase (which Python ≥ 3.8's capitalize() applies to the first character)
 * is not what JS's toUpperCase() gives. Generated from CPython 3.11 by comparing
 * chr(c).capitalize() with the JS uppercase of every code point.
 */
const TITLE: Record<number, string> = {
  0xdf: "Ss",
  0x587: "\u0535\u0582",
  0x1fb2: "\u1fba\u0345",
  0x1fb4: "\u0386\u0345",
  0x1fb7: "\u0391\u0342\u0345",
  0x1fc2: "\u1fca\u0345",
  0x1fc4: "\u0389\u0345",
  0x1fc7: "\u0397\u0342\u0345",
  0x1ff2: "\u1ffa\u0345",
  0x1ff4: "\u038f\u0345",
  0x1ff7: "\u03a9\u0342\u0345",
  0xfb00: "Ff",
  0xfb01: "Fi",
  0xfb02: "Fl",
  0xfb03: "Ffi",
  0xfb04: "Ffl",
  0xfb05: "St",
  0xfb06: "St",
  0xfb13: "\u0544\u0576",
  0xfb14: "\u0544\u0565",
  0xfb15: "\u0544\u056b",
  0xfb16: "\u054e\u0576",
  0xfb17: "\u0544\u056d",
};

/** Python's full titlecase mapping of one code point. */
function titleCase(cp: number): string {
  const special = TITLE[cp];
  if (special !== undefined) return special;
  // Latin digraphs DŽ, LJ, NJ, DZ: each triple (upper, title, lower) titlecases to its middle form.
  if (cp >= 0x1c4 && cp <= 0x1cc) return String.fromCodePoint(0x1c5 + 3 * Math.floor((cp - 0x1c4) / 3));
  if (cp >= 0x1f1 && cp <= 0x1f3) return "\u01f2";
  // Georgian Mkhedruli has an uppercase (Mtavruli, Unicode 11) but is its own titlecase.
  if ((cp >= 0x10d0 && cp <= 0x10fa) || (cp >= 0x10fd && cp <= 0x10ff)) return String.fromCodePoint(cp);
  // Greek letters with ypogegrammeni titlecase to the prosgegrammeni form, not to letter + IOTA.
  if (cp >= 0x1f80 && cp <= 0x1faf) return String.fromCodePoint(cp | 0x8);
  if (cp === 0x1fb3 || cp === 0x1fbc) return "\u1fbc";
  if (cp === 0x1fc3 || cp === 0x1fcc) return "\u1fcc";
  if (cp === 0x1ff3 || cp === 0x1ffc) return "\u1ffc";
  return String.fromCodePoint(cp).toUpperCase();
}

/**
 * Python's str.capitalize() (3.8+): the first code point titlecased, the rest lowercased with full
 * mappings ('İ' → 'i̇', final sigma → 'ς'). JS's toLowerCase() is locale-independent and applies
 * the same full mappings and Final_Sigma rule, so only the first character needs a table.
 * Remaining difference: the Unicode version (CPython 3.11: 14.0; Node 20: its ICU's), which only
 * matters for cased letters added in between.
 */
export function capitalize(s: string): string {
  const first = s.codePointAt(0);
  if (first === undefined) return "";
  const head = String.fromCodePoint(first);
  // Lowercase the whole string so that final sigma sees the first character as Python does
  // ("ΑΣ" → "Ας"); the first character's lowercase has no context, so its length is fixed.
  return titleCase(first) + s.toLowerCase().slice(head.toLowerCase().length);
}

/**
 * HellaSwag's preprocess (lm_eval/tasks/hellaswag/utils.py): strip; " [title]" → ". "; delete
 * every non-greedy [...] (Python's `.` does not cross "\n", but JS's `.` also stops at \r, U+2028
 * and U+2029, hence [^\n]); one non-overlapping pass of "  " → " ", so three spaces become two.
 * Nothing is stripped afterwards, so a deleted bracket at the end can leave a trailing space.
 */
export function preprocess(text: string): string {
  return pyStrip(text).replaceAll(" [title]", ". ").replace(/\[[^\n]*?\]/g, "").replaceAll("  ", " ");
}

/** Length as Python's len(): code points, not UTF-16 units. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
