import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { confine, PathRefused } from "../../server/confine";

const base = fs.mkdtempSync(path.join(os.tmpdir(), "confine-"));
const data = path.join(base, "data");
const imports = path.join(base, "corpora");
const outside = path.join(base, "outside");
for (const d of [data, imports, outside]) fs.mkdirSync(d);
fs.writeFileSync(path.join(outside, "secret.txt"), "secret");
fs.writeFileSync(path.join(data, "ok.txt"), "ok");
fs.symlinkSync(outside, path.join(data, "escape"));
fs.symlinkSync(path.join(outside, "secret.txt"), path.join(data, "secret-link.txt"));
const roots = [data, imports];

test("paths inside a root resolve, relative ones against DATA_DIR", () => {
  assert.equal(confine(path.join(data, "ok.txt"), roots, "f"), fs.realpathSync(path.join(data, "ok.txt")));
  assert.equal(confine("ok.txt", roots, "f"), fs.realpathSync(path.join(data, "ok.txt")));
  assert.equal(confine(imports, roots, "f"), fs.realpathSync(imports));
  assert.equal(confine(path.join(data, "new", "file.bin"), roots, "f"), path.join(fs.realpathSync(data), "new", "file.bin"));
});

test("traversal, absolute escapes and symlinks out are refused, with the same message whether the target exists or not", () => {
  const attempts = [
    path.join(data, "..", "outside", "secret.txt"),
    "../outside/secret.txt",
    "../../../../etc/passwd",
    "/etc/passwd",
    "/definitely/not/here",
    path.join(data, "escape", "secret.txt"),
    path.join(data, "escape", "missing.txt"),
    path.join(data, "secret-link.txt"),
    `${data}-sibling/x`,
    "ok.txt\0",
  ];
  const messages = new Set<string>();
  for (const p of attempts) {
    assert.throws(() => confine(p, roots, "An eval-set file"), (e: unknown) => {
      assert.ok(e instanceof PathRefused, `${p}: ${e}`);
      messages.add(e.message);
      return true;
    });
  }
  assert.equal(messages.size, 1, [...messages].join(" | "));
  assert.match([...messages][0], /^An eval-set file must lie inside DATA_DIR/);
});

test("no roots: everything is refused", () => {
  assert.throws(() => confine(path.join(data, "ok.txt"), [], "f"), PathRefused);
});
