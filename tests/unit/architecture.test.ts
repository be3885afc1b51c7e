// The house rules of docs/architecture.md, read off the real import graph: no import cycles (type
// imports included, between files and between folders), no part importing what its layer forbids,
// and no source file past MAX_LINES. The checker itself is tested on a small tree it must fault.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { folderGraph, importCycles, importGraph, largestFiles, layerBreaches, MAX_LINES } from "../../scripts/architecture";

const repo = path.resolve(import.meta.dirname, "../..");
const typed = importGraph(repo, true);

test("no file imports itself back through others, counting type imports", () => {
  assert.deepEqual(importCycles(typed), []);
  assert.deepEqual(importCycles(importGraph(repo, false)), []);
});

test("no two folders import each other", () => {
  assert.deepEqual(importCycles(folderGraph(typed, 3)), []);
});

test("each part imports only the layers below it: the server never imports the trainer, the model only lib", () => {
  assert.deepEqual(layerBreaches(typed), []);
});

test(`no source file is longer than ${MAX_LINES} lines`, () => {
  const [largest] = largestFiles(repo, 1);
  assert.ok(largest.lines <= MAX_LINES, `${largest.file} has ${largest.lines} lines`);
});

test("the checker finds a type-only cycle, a folder cycle, a layer breach and an impure model", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "architecture-"));
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  write("server/a.ts", 'import type { B } from "./b";\nexport type A = B | 1;\n');
  write("server/b.ts", 'import { type A } from "./a";\nexport type B = A | 2;\n');
  write("server/services/run.ts", 'import { x } from "../../trainer/model/model";\nexport const y = x;\n');
  write("trainer/model/model.ts", 'import { z } from "../loop/train";\nexport const x = z;\n');
  write("trainer/loop/train.ts", 'import { w } from "@/trainer/data/load";\nexport const z = w;\n');
  write("trainer/data/load.ts", 'export const w = import("../loop/train");\n');
  try {
    const graph = importGraph(root, true);
    assert.deepEqual(importCycles(graph), [["server/a.ts", "server/b.ts"], ["trainer/data/load.ts", "trainer/loop/train.ts"]]);
    assert.deepEqual(importCycles(importGraph(root, false)), [["trainer/data/load.ts", "trainer/loop/train.ts"]], "type imports vanish at run time");
    assert.deepEqual(importCycles(folderGraph(graph, 3)), [["trainer/data", "trainer/loop"]]);
    assert.deepEqual(layerBreaches(graph), ["server/services/run.ts -> trainer/model/model.ts", "trainer/model/model.ts -> trainer/loop/train.ts"]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
