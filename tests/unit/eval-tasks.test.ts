import assert from "node:assert/strict";
import { test } from "node:test";
import {
  aggregate,
  argmax,
  buildRequests,
  gold,
  scoreExample,
  type ArcDoc,
  type HellaswagDoc,
  type LoglikResult,
  type PiqaDoc,
} from "../../lib/eval/tasks";

const roof: HellaswagDoc = {
  ind: 24,
  activity_label: "Roof shingle removal",
  ctx_a: "A man is sitting on a roof.",
  ctx_b: "he",
  endings: ["is using wrap to wrap a pair of skis.", "is ripping level tiles off.", "is holding a rubik's cube.", "starts pulling up roofing on a roof."],
  label: 3,
};
const wikihow: HellaswagDoc = {
  activity_label: "Personal Care and Style",
  ctx_a: "[header] How to dye your hair [title] Pick a color. [step] Choose a shade that suits you.",
  ctx_b: "",
  endings: ["[substeps] Natural shades are easiest.  Bright ones fade.", "Wash your   hair first [step] then dry it.", "[title] Buy a kit. [step] Kits come with gloves.", "Ask a friend to help you [title] ."],
  label: 2,
};
const butter: PiqaDoc = { goal: "When boiling butter, when it's ready, you can", sol1: "Pour it onto a plate", sol2: "Pour it into a jar", label: 1 };
const nail: ArcDoc = {
  question: "Which object is the best conductor of electricity?",
  choices: [
    { text: "a wax crayon", label: "1" },
    { text: "a plastic spoon", label: "2" },
    { text: "a rubber eraser", label: "3" },
    { text: "an iron nail", label: "4" },
  ],
  answerKey: "4",
};

const lls = (...xs: number[]): LoglikResult[] => xs.map((ll) => ({ ll, isGreedy: false }));

test("LAMBADA: one request, context without the last word, target with its space", () => {
  assert.deepEqual(buildRequests("lambada", { text: "I look at him. I don't care about signs" }), [
    { context: "I look at him. I don't care about", continuation: " signs" },
  ]);
  assert.equal(gold("lambada", { text: "a b" }), 1);
});

test("HellaSwag: preprocessed query and endings, each scored after a space", () => {
  const reqs = buildRequests("hellaswag", roof);
  assert.equal(reqs.length, 4);
  for (const r of reqs) assert.equal(r.context, "Roof shingle removal: A man is sitting on a roof. He");
  assert.deepEqual(
    reqs.map((r) => r.continuation),
    [" is using wrap to wrap a pair of skis.", " is ripping level tiles off.", " is holding a rubik's cube.", " starts pulling up roofing on a roof."],
  );
  const w = buildRequests("hellaswag", wikihow);
  assert.equal(w[0].context, "Personal Care and Style: How to dye your hair. Pick a color. Choose a shade that suits you.");
  // The harness keeps the space a deleted leading bracket leaves, so these continuations start with two.
  assert.deepEqual(
    w.map((r) => r.continuation),
    ["  Natural shades are easiest. Bright ones fade.", " Wash your  hair first then dry it.", "  Buy a kit. Kits come with gloves.", " Ask a friend to help you. ."],
  );
  assert.equal(gold("hellaswag", roof), 3);
});

test("PIQA and ARC-Easy: Question/Answer context, choices after a space, gold from label or answerKey", () => {
  assert.deepEqual(buildRequests("piqa", butter), [
    { context: "Question: When boiling butter, when it's ready, you can\nAnswer:", continuation: " Pour it onto a plate" },
    { context: "Question: When boiling butter, when it's ready, you can\nAnswer:", continuation: " Pour it into a jar" },
  ]);
  assert.equal(gold("piqa", butter), 1);
  const arc = buildRequests("arc_easy", nail);
  assert.deepEqual(arc.map((r) => r.context), Array(4).fill("Question: Which object is the best conductor of electricity?\nAnswer:"));
  assert.deepEqual(arc.map((r) => r.continuation), [" a wax crayon", " a plastic spoon", " a rubber eraser", " an iron nail"]);
  assert.equal(gold("arc_easy", nail), 3);
  assert.equal(gold("arc_easy", { ...nail, choices: nail.choices.map((c, i) => ({ ...c, label: "ABCD"[i] })), answerKey: "B" }), 1);
  assert.throws(() => gold("arc_easy", { ...nail, answerKey: "E" }), /answerKey "E" is not among the choice labels 1, 2, 3, 4/);
});

test("acc takes the largest ll; acc_norm divides by the choice's length in characters", () => {
  // Preprocessed ending lengths are 37, 27, 26, 36: the longest true ending loses on raw ll only.
  const s = scoreExample("hellaswag", roof, lls(-30, -25, -24, -26));
  assert.deepEqual(s, { prediction: 2, gold: 3, correct: false, metrics: { acc: 0, acc_norm: 1 } });
  const t = scoreExample("hellaswag", roof, lls(-30, -25, -24, -20));
  assert.deepEqual(t, { prediction: 3, gold: 3, correct: true, metrics: { acc: 1, acc_norm: 1 } });
  // acc right, acc_norm wrong: a short wrong choice has the best per-character ll.
  const p = scoreExample("piqa", { goal: "g", sol1: "ab", sol2: "abcdefgh", label: 0 }, lls(-4, -5));
  assert.deepEqual(p.metrics, { acc: 1, acc_norm: 0 });
  // Lengths count code points, not UTF-16 units: "𝐀𝐀" is 2 (-3/2 < -4/3 → choice 1); as 4 units it would be -0.75 → choice 0.
  const astral = scoreExample("piqa", { goal: "g", sol1: "\ud835\udc00\ud835\udc00", sol2: "abc", label: 1 }, lls(-3, -4));
  assert.deepEqual(astral.metrics, { acc: 0, acc_norm: 1 });
});

test("ties go to the first maximal index, as numpy.argmax", () => {
  assert.equal(argmax([-5, -5, -7]), 0);
  assert.equal(argmax([-7, -5, -5]), 1);
  assert.equal(argmax([-Infinity, -Infinity]), 0);
  assert.equal(argmax([-1, NaN, 0, NaN]), 1);
  const s = scoreExample("arc_easy", { ...nail, answerKey: "2" }, lls(-3, -3, -4, -9));
  assert.equal(s.prediction, 0);
  assert.equal(s.correct, false);
  // Equal lengths and equal ll: the normalised scores tie too, and the first wins.
  const h = scoreExample("hellaswag", { ...roof, endings: ["aa", "bb", "cc", "dd"], label: 1 }, lls(-2, -2, -3, -3));
  assert.deepEqual(h.metrics, { acc: 0, acc_norm: 0 });
});

test("scoring refuses a result count that does not match the requests", () => {
  assert.throws(() => scoreExample("hellaswag", roof, lls(-1, -2, -3)), /expected 4 results/);
  assert.throws(() => scoreExample("lambada", { text: "a b" }, []), /expected 1 results/);
});

test("LAMBADA: acc is is_greedy; perplexity is exp(-mean per-document ll)", () => {
  const docs = [{ text: "x one" }, { text: "y two" }, { text: "z three" }];
  const results: LoglikResult[] = [
    { ll: -1, isGreedy: true },
    { ll: -3, isGreedy: false },
    { ll: -8, isGreedy: true },
  ];
  const scored = docs.map((d, i) => scoreExample("lambada", d, [results[i]]));
  assert.deepEqual(scored[0], { prediction: 1, gold: 1, correct: true, metrics: { acc: 1, ll: -1 } });
  assert.deepEqual(scored[1], { prediction: 0, gold: 1, correct: false, metrics: { acc: 0, ll: -3 } });
  const agg = aggregate("lambada", scored);
  assert.equal(agg.acc, 2 / 3);
  assert.equal(agg.perplexity, Math.exp(4));
  // Not a per-token perplexity: with 1, 1 and 4 target tokens that would be exp(12/6).
  assert.notEqual(agg.perplexity, Math.exp(2));
});

test("aggregate averages acc and acc_norm, and refuses an empty set", () => {
  const a = scoreExample("piqa", butter, lls(-5, -4)); // right on both
  const b = scoreExample("piqa", butter, lls(-4, -4.5)); // wrong on acc; lengths 20 and 18
  assert.deepEqual(b.metrics, { acc: 0, acc_norm: 0 });
  const c = scoreExample("piqa", butter, lls(-4.4, -4.1)); // right on acc; -0.22 vs -0.2278: wrong on acc_norm
  assert.deepEqual(c.metrics, { acc: 1, acc_norm: 0 });
  assert.deepEqual(aggregate("piqa", [a, b, c]), { acc: 2 / 3, acc_norm: 1 / 3 });
  assert.throws(() => aggregate("hellaswag", []), /no examples/);
});
