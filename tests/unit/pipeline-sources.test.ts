import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { CODE_ROOTS, sourceFingerprint } from "../../formats/dataset-id";
import { DatasetSource } from "../../lib/dataset-spec";
import { loadSource, looksMinified } from "../../trainer/pipeline/sources";

const src = (input: Record<string, unknown>) => DatasetSource.parse({ weight: 1, ...input });

test("spam-assassin: raw mails with headers, in file-list order, capped", async () => {
  const progress: [number, number][] = [];
  const docs = await loadSource(src({ domain: "web", kind: "spam-assassin", maxDocuments: 3 }), { onProgress: (d, t) => progress.push([d, t]) });
  assert.deepEqual(docs.map((d) => d.id), [
    "web:easy-ham-1/00001.7c53336b37003a9286aba55d2945844c",
    "web:easy-ham-1/00002.9c4069e25e1ef370c078db7ee85ff9ac",
    "web:easy-ham-1/00003.860e3c3cee1b42ead714c5c874fe25f7",
  ]);
  assert.match(docs[0].text, /^From exmh-workers-admin@redhat\.com/);
  assert.match(docs[0].text, /\nSubject: Re: New Sequences Window\n/);
  assert.ok(fs.existsSync(docs[0].source));
  assert.deepEqual(progress.at(-1), [3, 3]);
});

test("spam-assassin: every mail, ham and spam", async () => {
  const docs = await loadSource(src({ domain: "web", kind: "spam-assassin" }));
  assert.equal(docs.length, 6046);
  assert.equal(new Set(docs.map((d) => d.id)).size, docs.length);
  assert.ok(docs.some((d) => d.id.startsWith("web:spam-2/")));
});

test("brown: one tag-free document per corpus file", async () => {
  const docs = await loadSource(src({ domain: "books", kind: "brown", maxDocuments: 2 }));
  assert.deepEqual(docs.map((d) => d.id), ["books:ca01", "books:ca02"]);
  assert.match(docs[0].text, /^The Fulton County Grand Jury said Friday/);
  assert.doesNotMatch(docs[0].text, /\/(at|nn|np|vbd)\b/);
});

test("nlp-corpus: consecutive sentences grouped into documents of a few KB", async () => {
  const docs = await loadSource(src({ domain: "dialogue", kind: "nlp-corpus", maxDocuments: 5 }));
  assert.equal(docs.length, 5);
  for (const d of docs) {
    assert.ok(d.text.length >= 2000 && d.text.length < 6000, `${d.id}: ${d.text.length}`);
    assert.ok(d.text.split("\n\n").length > 5, "one sentence per paragraph");
  }
  assert.match(docs[0].source, /^nlp-corpus#0-\d+$/);
});

test("node-modules-code: source files from the fixed package list, no declarations or bundles", async () => {
  const docs = await loadSource(src({ domain: "code", kind: "node-modules-code" }));
  assert.ok(docs.length > 300, `${docs.length}`);
  const pkgs = new Set(docs.map((d) => d.id.slice("code:".length).split("/src/")[0].split("/dist/")[0].split("/cjs/")[0]));
  assert.deepEqual([...pkgs].sort(), CODE_ROOTS.map((r) => r.pkg).sort());
  for (const d of docs) {
    assert.match(d.source, /\.(ts|tsx|js|mjs|cjs)$/);
    assert.doesNotMatch(d.source, /\.d\.[cm]?ts$|\.min\.js$|\.map$/);
    assert.equal(looksMinified(d.text), false);
  }
  assert.ok(!docs.some((d) => d.id.includes("chart.umd")), "the minified UMD bundle is skipped");
  const first = await loadSource(src({ domain: "code", kind: "node-modules-code", maxDocuments: 4 }));
  assert.deepEqual(first.map((d) => d.id), docs.slice(0, 4).map((d) => d.id));
  assert.equal(looksMinified(`var a=1;${"x".repeat(20_000)}`), true);
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-sources-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("folder: .txt, .jsonl lines and .html, recursively, in sorted order; other files ignored", async () => {
  const root = path.join(dir, "ok");
  fs.mkdirSync(path.join(root, "sub"), { recursive: true });
  fs.writeFileSync(path.join(root, "b.txt"), "plain text");
  fs.writeFileSync(path.join(root, "a.html"), "<p>Hello <b>web</b></p>");
  fs.writeFileSync(path.join(root, "sub", "c.jsonl"), '{"text":"first line"}\n\n{"text":"second line","meta":1}\n');
  fs.writeFileSync(path.join(root, "notes.md"), "ignored");
  fs.writeFileSync(path.join(root, ".hidden.txt"), "ignored");
  const docs = await loadSource(src({ domain: "mine", kind: "folder", path: root }));
  assert.deepEqual(
    docs.map((d) => [d.id, d.text]),
    [
      ["mine:a.html", "<p>Hello <b>web</b></p>"],
      ["mine:b.txt", "plain text"],
      ["mine:sub/c.jsonl#1", "first line"],
      ["mine:sub/c.jsonl#3", "second line"],
    ],
  );
  assert.equal(docs[3].source, `${path.join(root, "sub", "c.jsonl")}:3`);
  const capped = await loadSource(src({ domain: "mine", kind: "folder", path: root, maxDocuments: 3 }));
  assert.deepEqual(capped.map((d) => d.id), docs.slice(0, 3).map((d) => d.id));
});

test("folder: a malformed .jsonl line is an error naming the file and line", async () => {
  const root = path.join(dir, "bad");
  fs.mkdirSync(root);
  const file = path.join(root, "data.jsonl");
  fs.writeFileSync(file, '{"text":"fine"}\n{"text":"also fine"}\n{"text": broken\n');
  await assert.rejects(loadSource(src({ domain: "mine", kind: "folder", path: root })), (e: Error) => {
    assert.ok(e.message.startsWith(`${file}:3: not valid JSON`), e.message);
    return true;
  });
  fs.writeFileSync(file, '{"text":"fine"}\n{"body":"no text field"}\n');
  await assert.rejects(loadSource(src({ domain: "mine", kind: "folder", path: root })), new RegExp(`^Error: ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:2: expected an object with a string "text" field`));
  await assert.rejects(loadSource(src({ domain: "mine", kind: "folder", path: path.join(dir, "missing") })), /is not a directory/);
});

test("fingerprints: stable, and a folder's changes when its files do", async () => {
  const web = src({ domain: "web", kind: "spam-assassin" });
  assert.match(sourceFingerprint(web), /^[0-9a-f]{16}$/);
  assert.equal(sourceFingerprint(web), sourceFingerprint({ ...web }));
  assert.notEqual(sourceFingerprint(web), sourceFingerprint(src({ domain: "web", kind: "brown" })));
  assert.notEqual(sourceFingerprint(web), sourceFingerprint({ ...web, maxDocuments: 10 }));

  const root = path.join(dir, "fp");
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, "a.txt"), "one");
  const folder = src({ domain: "mine", kind: "folder", path: root });
  const before = sourceFingerprint(folder);
  assert.equal(sourceFingerprint(folder), before);
  fs.writeFileSync(path.join(root, "a.txt"), "one, longer");
  const edited = sourceFingerprint(folder);
  assert.notEqual(edited, before);
  fs.writeFileSync(path.join(root, "b.txt"), "two");
  assert.notEqual(sourceFingerprint(folder), edited);
});
