// Goldens produced by CPython 3.11 running lm-evaluation-harness's hellaswag preprocess, str.capitalize
// and lambada_openai's split on the same strings.
import assert from "node:assert/strict";
import { test } from "node:test";
import { capitalize, preprocess, pyLen, pyRstrip, pyStrip } from "../../lib/eval/preprocess";
import { hellaswagQuery, splitLambada } from "../../lib/eval/tasks";

test("preprocess matches the harness on brackets, [title], spaces and whitespace", () => {
  const cases: [string, string][] = [
    [
      "[header] How to increase the length of your eyelashes [title] Use a lash serum. [step] Lash serums are applied like eyeliner.",
      " How to increase the length of your eyelashes. Use a lash serum. Lash serums are applied like eyeliner.",
    ],
    ["  leading and trailing  ", "leading and trailing"],
    ["a  b   c    d", "a b  c  d"], // one non-overlapping pass: 3 spaces → 2, 4 → 2
    ["keep [a] and [b] out", "keep and out"],
    ["nested [a [b] c] end", "nested c] end"], // non-greedy, no nesting
    ["no [closing bracket", "no [closing bracket"],
    ["across [line\nbreak] stays", "across [line\nbreak] stays"], // Python's . stops at \n only
    ["across [cr\rreturn] goes", "across goes"], // ... but not at \r, unlike JS's .
    ["ends with [bracket]", "ends with "], // nothing is stripped after the deletion
    ["[title]", ""],
    [" [title] x", " x"], // stripped first, so the leading " [title]" is no longer there
    ["x [title]", "x. "],
    ["\ufeffbom stays\ufeff", "\ufeffbom stays\ufeff"], // not whitespace to Python
    ["\x1cfile sep\x85", "file sep"], // whitespace to Python, not to JS's trim
    ["caf\u00e9  na\u00efve [x] \u00fcber", "caf\u00e9 na\u00efve \u00fcber"],
    ["\u00a0nbsp\u3000", "nbsp"],
    ["", ""],
  ];
  for (const [input, want] of cases) assert.equal(preprocess(input), want, JSON.stringify(input));
});

test("pyStrip and pyRstrip use Python's whitespace set", () => {
  assert.equal(pyStrip("\x1c\x1d\x1e\x1f\x85 a \u2028"), "a");
  assert.equal(pyStrip("\ufeffa"), "\ufeffa");
  assert.equal(pyRstrip("  a \t\n"), "  a");
  assert.equal("\ufeffa".trim(), "a"); // why trim() is not used
});

test("capitalize is Python's str.capitalize, titlecasing the first character", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["he", "He"],
    ["HE IS", "He is"],
    ["\u00dftra\u00dfe", "Sstra\u00dfe"], // titlecase of ß is "Ss"; JS toUpperCase gives "SS"
    ["\u01c6ungla", "\u01c5ungla"], // dž → ǅ (titlecase digraph), not Ǆ
    ["\ufb01ne", "Fine"], // ﬁ ligature → "Fi", not "FI"
    ["\u1f00\u03c1\u03c7\u03ae", "\u1f08\u03c1\u03c7\u03ae"],
    ["\u0391\u03a3 \u039f\u0394\u039f\u03a3", "\u0391\u03c2 \u03bf\u03b4\u03bf\u03c2"], // final sigma, seen after the first letter
    ["\u0130stanbul", "\u0130stanbul"],
    ["ilk", "Ilk"], // no Turkish dotted İ: locale-independent
    ["\u00e9COLE", "\u00c9cole"],
    ["\u1fb3", "\u1fbc"], // ᾳ → ᾼ, where uppercase would be "ΑΙ"
    ["\u10d0\u10db\u10d1\u10d0\u10d5\u10d8", "\u10d0\u10db\u10d1\u10d0\u10d5\u10d8"], // Georgian is its own titlecase
    ["123abc", "123abc"],
    [" leading space", " leading space"],
    ["\ud835\udc00BC", "\ud835\udc00bc"], // an astral first character counts as one
  ];
  for (const [input, want] of cases) assert.equal(capitalize(input), want, JSON.stringify(input));
  assert.equal("\u00df".toUpperCase(), "SS");
  assert.equal(capitalize("\u0130X"), "\u0130x");
  assert.equal(capitalize("A\u0130"), "Ai\u0307"); // full lowercase mapping of İ, as Python's lower()
});

test("HellaSwag query: capitalised ctx_b, empty ctx_b, brackets and spaces", () => {
  const q = (activity_label: string, ctx_a: string, ctx_b: string) => hellaswagQuery({ activity_label, ctx_a, ctx_b, endings: [], label: 0 });
  assert.equal(q("Roof shingle removal", "A man is sitting on a roof.", "he"), "Roof shingle removal: A man is sitting on a roof. He");
  assert.equal(
    q("Personal Care and Style", "[header] How to dye your hair [title] Pick a color. [step] Choose a shade that suits you.", ""),
    "Personal Care and Style: How to dye your hair. Pick a color. Choose a shade that suits you.",
  );
  assert.equal(q("Fun", "  The kids [laugh] play  ", "THEY JUMP"), "Fun:  The kids play  They jump");
  assert.equal(q("\u00dc", "x", "\u00dfEE"), "\u00dc: x Ssee");
});

test("LAMBADA splits on single spaces only, like Python's split(' ')", () => {
  const cases: [string, string, string][] = [
    ["the cat sat on the mat", "the cat sat on the", " mat"],
    ["two  spaces here", "two  spaces", " here"],
    ["trailing space ", "trailing space", " "],
    ["single", "", " single"],
    ["tab\tinside word", "tab\tinside", " word"],
    ["line\nbreak ends", "line\nbreak", " ends"],
  ];
  for (const [text, context, continuation] of cases) assert.deepEqual(splitLambada(text), { context, continuation }, JSON.stringify(text));
});

test("pyLen counts code points", () => {
  assert.equal(pyLen("ab"), 2);
  assert.equal(pyLen("\ud835\udc00b"), 2);
  assert.equal("\ud835\udc00b".length, 3);
  assert.equal(pyLen("e\u0301"), 2); // a combining accent is its own code point in Python too
});
