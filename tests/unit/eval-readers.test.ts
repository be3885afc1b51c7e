import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { readTaskFile } from "../../lib/eval/read-file";
import { parseTaskLines } from "../../lib/eval/readers";
import { buildRequests } from "../../lib/eval/tasks";

const FIX = path.join(import.meta.dirname, "..", "fixtures", "eval");
const fixture = (name: string) => path.join(FIX, name);

test("HellaSwag: rowanz jsonl (numeric label) and Hugging Face rows (string label), blank lines skipped", () => {
  const docs = readTaskFile("hellaswag", fixture("hellaswag.jsonl"));
  assert.equal(docs.length, 2);
  assert.deepEqual(docs[0], {
    ind: 24,
    activity_label: "Roof shingle removal",
    ctx_a: "A man is sitting on a roof.",
    ctx_b: "he",
    endings: ["is using wrap to wrap a pair of skis.", "is ripping level tiles off.", "is holding a rubik's cube.", "starts pulling up roofing on a roof."],
    label: 3,
  });
  assert.equal(docs[1].label, 2);
  assert.equal(buildRequests("hellaswag", docs[1])[0].context, "Personal Care and Style: How to dye your hair. Pick a color. Choose a shade that suits you.");
  // CRLF line endings; a label " 1 " as Python's int() reads it.
  const crlf = readTaskFile("hellaswag", fixture("hellaswag-crlf.jsonl"));
  assert.equal(crlf[0].label, 1);
  assert.equal(buildRequests("hellaswag", crlf[0])[0].context, "Fun:  The kids play  They jump");
});

test("HellaSwag: a line without four endings names the file and line", () => {
  const file = fixture("hellaswag-bad-endings.jsonl");
  assert.throws(() => readTaskFile("hellaswag", file), (e: Error) => {
    assert.ok(e.message.startsWith(`${file}:4: hellaswag: field endings:`), e.message);
    assert.match(e.message, /4/);
    return true;
  });
});

test("HellaSwag: missing field, bad label, empty label", () => {
  const base = { activity_label: "a", ctx_a: "b", ctx_b: "c", endings: ["1", "2", "3", "4"], label: 0 };
  const line = (o: object) => JSON.stringify(o);
  const { ctx_b: _, ...noCtxB } = base;
  assert.throws(() => parseTaskLines("hellaswag", line(base) + "\n" + line(noCtxB), "h.jsonl"), /^Error: h\.jsonl:2: hellaswag: field ctx_b: /);
  assert.throws(() => parseTaskLines("hellaswag", line({ ...base, label: 4 }), "h.jsonl"), /h\.jsonl:1: hellaswag: label 4 is not an integer in 0\.\.3/);
  assert.throws(() => parseTaskLines("hellaswag", line({ ...base, label: "" }), "h.jsonl"), /h\.jsonl:1: .*label is empty/);
  assert.throws(() => parseTaskLines("hellaswag", line({ ...base, label: "1.0" }), "h.jsonl"), /h\.jsonl:1: .*not an integer/);
  assert.throws(() => parseTaskLines("hellaswag", line({ ...base, endings: ["1", "2", "3", 4] }), "h.jsonl"), /h\.jsonl:1: hellaswag: field endings\.3: /);
  assert.throws(() => parseTaskLines("hellaswag", "[1, 2]", "h.jsonl"), /h\.jsonl:1: hellaswag: .*object/);
});

test("LAMBADA: text lines, and bad JSON named by file and line", () => {
  const docs = readTaskFile("lambada", fixture("lambada.jsonl"));
  assert.equal(docs.length, 2);
  assert.equal(buildRequests("lambada", docs[0])[0].continuation, " signs");
  assert.ok(buildRequests("lambada", docs[1])[0].context.endsWith("I can make it there on my own,"));
  const bad = fixture("lambada-bad-json.jsonl");
  assert.throws(() => readTaskFile("lambada", bad), (e: Error) => e.message.startsWith(`${bad}:2: invalid JSON (`));
  assert.throws(() => parseTaskLines("lambada", '{"txt": "a b"}', "l.jsonl"), /l\.jsonl:1: lambada: field text: /);
});

test("PIQA: goal/sol1/sol2/label lines; a missing label is explained", () => {
  const docs = readTaskFile("piqa", fixture("piqa.jsonl"));
  assert.deepEqual(
    docs.map((d) => d.label),
    [1, 1, 0],
  );
  assert.equal(docs[0].goal, "When boiling butter, when it's ready, you can");
  const file = fixture("piqa-no-label.jsonl");
  assert.throws(() => readTaskFile("piqa", file), (e: Error) => {
    assert.ok(e.message.startsWith(`${file}:2: piqa: label is missing`), e.message);
    assert.match(e.message, /labels\.lst/);
    return true;
  });
  assert.throws(() => parseTaskLines("piqa", '{"goal": "g", "sol1": "a", "sol2": "b", "label": 2}', "p.jsonl"), /p\.jsonl:1: piqa: label 2 is not an integer in 0\.\.1/);
});

test("ARC-Easy: original and flattened shapes give the same example; numeric and 3-/5-choice labels", () => {
  const orig = readTaskFile("arc_easy", fixture("arc-easy-original.jsonl"));
  const flat = readTaskFile("arc_easy", fixture("arc-easy-flat.jsonl"));
  assert.deepEqual(orig[0], flat[0]);
  assert.deepEqual(orig[0].choices[1], { text: "a bacterial population in the bloodstream", label: "B" });
  assert.equal(orig[0].question, "Which factor will most likely cause a person to develop a fever?");
  assert.equal(orig[1].answerKey, "4");
  assert.equal(orig[2].choices.length, 3);
  assert.equal(flat[1].choices.length, 5);
  assert.deepEqual(
    buildRequests("arc_easy", flat[1]).map((r) => r.continuation),
    [" Venus", " Earth", " Mars", " Jupiter", " Mercury"],
  );
});

test("ARC-Easy: answerKey not among labels, mismatched lists, duplicate labels", () => {
  const file = fixture("arc-easy-bad-key.jsonl");
  assert.throws(() => readTaskFile("arc_easy", file), (e: Error) => {
    assert.equal(e.message, `${file}:3: arc_easy: answerKey "B" is not among the choice labels 1, 2`);
    return true;
  });
  const flat = (choices: object, answerKey = "A") => JSON.stringify({ question: "q", choices, answerKey });
  assert.throws(() => parseTaskLines("arc_easy", flat({ text: ["x", "y"], label: ["A"] }), "a.jsonl"), /a\.jsonl:1: arc_easy: choices has 2 texts but 1 labels/);
  assert.throws(() => parseTaskLines("arc_easy", flat({ text: ["x", "y"], label: ["A", "A"] }), "a.jsonl"), /a\.jsonl:1: .*label "A" appears twice/);
  assert.throws(() => parseTaskLines("arc_easy", flat({ text: ["x", "y"] }), "a.jsonl"), /a\.jsonl:1: arc_easy: field choices\.label: /);
  assert.throws(() => parseTaskLines("arc_easy", JSON.stringify({ question: { stem: "q" }, answerKey: "A" }), "a.jsonl"), /a\.jsonl:1: arc_easy: field question\.choices: /);
});

test("empty files, a byte order mark, invalid UTF-8", () => {
  assert.throws(() => parseTaskLines("lambada", "\n  \n", "e.jsonl"), /e\.jsonl: no lambada examples/);
  assert.deepEqual(parseTaskLines("lambada", '\uFEFF{"text": "a b"}\n', "b.jsonl"), [{ text: "a b" }]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eval-readers-"));
  try {
    const p = path.join(dir, "bad-utf8.jsonl");
    fs.writeFileSync(p, Buffer.concat([Buffer.from('{"text": "a '), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]));
    assert.throws(() => readTaskFile("lambada", p), new RegExp(`${p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not valid UTF-8`));
    const bom = path.join(dir, "bom.jsonl");
    fs.writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"text": "x y"}\n')]));
    assert.deepEqual(readTaskFile("lambada", bom), [{ text: "x y" }]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
