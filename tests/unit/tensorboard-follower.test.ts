import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { encodeEvent, type TfEvent } from "../../lib/tfevents/events";
import { DT, emptyTensor } from "../../lib/tfevents/tensor";
import { encodeRecord } from "../../lib/tfevents/tfrecord";
import { FILE_VERSION } from "../../lib/tfevents/writer";
import { RunTail, type TailPoint } from "../../server/services/tensorboard/tensorboard-follower";
import { findRunDirs } from "../../server/services/tensorboard/tensorboard-scan";

const tmp = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `tb-${label}-`));
const scalar = (tag: string, step: number, value: number, wallTime = 1700000000 + step): Buffer =>
  encodeRecord(encodeEvent({ wallTime, step: BigInt(step), summary: [{ tag, simpleValue: value }] }));
const header = () => encodeRecord(encodeEvent({ wallTime: 1700000000, step: 0n, fileVersion: FILE_VERSION }));
const brief = (ps: TailPoint[]) => ps.map((p) => `${p.name}@${p.step}=${p.value}`);

test("a growing file is read record by record as its bytes arrive, a torn last record waited for", async () => {
  const dir = tmp("grow");
  const file = path.join(dir, "events.out.tfevents.1700000000.host");
  const records = [header(), ...[1, 2, 3, 4].map((s) => scalar("loss", s, s / 2))];
  const bytes = Buffer.concat(records);
  fs.writeFileSync(file, "");
  const tail = new RunTail(dir);
  const seen: TailPoint[] = [];
  // Appended in pieces that cut records anywhere: inside a header, a payload, a footer.
  const cuts = [5, 20, records[0].length + 3, records[0].length + records[1].length + 14, bytes.length - 1, bytes.length];
  let at = 0;
  for (const cut of cuts) {
    fs.appendFileSync(file, bytes.subarray(at, cut));
    at = cut;
    const r = await tail.poll();
    assert.deepEqual(r.problems, [], `after ${cut} bytes`);
    seen.push(...r.points);
    const complete = records.filter((_, i) => records.slice(0, i + 1).reduce((n, x) => n + x.length, 0) <= cut).length;
    assert.equal(seen.length, Math.max(0, complete - 1), `after ${cut} bytes`);
    // The cursor stops at the last whole record: a resumed reader re-reads the torn one.
    assert.equal(tail.cursors()["events.out.tfevents.1700000000.host"].offset, records.slice(0, complete).reduce((n, x) => n + x.length, 0));
  }
  assert.deepEqual(brief(seen), ["loss@1=0.5", "loss@2=1", "loss@3=1.5", "loss@4=2"]);
  assert.deepEqual(seen.map((p) => p.wallTime), [1700000001, 1700000002, 1700000003, 1700000004]);
});

test("a second event file appearing later is read too, in name order, and a resumed tail doubles nothing", async () => {
  const dir = tmp("second");
  const a = path.join(dir, "events.out.tfevents.1700000000.a");
  fs.writeFileSync(a, Buffer.concat([header(), scalar("loss", 1, 1), scalar("loss", 2, 2)]));
  const tail = new RunTail(dir);
  assert.deepEqual(brief((await tail.poll()).points), ["loss@1=1", "loss@2=2"]);
  assert.deepEqual((await tail.poll()).points, []);
  fs.writeFileSync(path.join(dir, "events.out.tfevents.1700000100.b"), Buffer.concat([header(), scalar("acc", 3, 0.25)]));
  fs.writeFileSync(path.join(dir, "notes.txt"), "not an event file");
  fs.appendFileSync(a, scalar("loss", 3, 3).subarray(0, 9));
  assert.deepEqual(brief((await tail.poll()).points), ["acc@3=0.25"]);
  // A tail made from the saved cursors (a restarted server) picks up exactly where this one stands.
  const resumed = new RunTail(dir, JSON.parse(JSON.stringify(tail.cursors())));
  fs.appendFileSync(a, scalar("loss", 3, 3).subarray(9));
  fs.appendFileSync(path.join(dir, "events.out.tfevents.1700000100.b"), scalar("acc", 4, 0.5));
  assert.deepEqual(brief((await resumed.poll()).points), ["loss@3=3", "acc@4=0.5"]);
  assert.deepEqual((await resumed.poll()).points, []);
});

test("rank-0 float tensors count as scalars; a tag another plugin claimed does not, across a resume", async () => {
  const dir = tmp("tensor");
  const t = (v: number) => ({ ...emptyTensor(DT.FLOAT), floatVal: [v] });
  const ev = (e: Partial<TfEvent> & { step: bigint }) => encodeRecord(encodeEvent({ wallTime: 1700000050, ...e }));
  const file = path.join(dir, "events.out.tfevents.1700000000.tf2");
  fs.writeFileSync(file, Buffer.concat([
    header(),
    ev({ step: 1n, summary: [{ tag: "lr", tensor: t(0.1), metadata: { pluginName: "scalars" } }, { tag: "odd", tensor: t(7), metadata: { pluginName: "custom_plugin" } }] }),
  ]));
  const tail = new RunTail(dir);
  assert.deepEqual(brief((await tail.poll()).points), ["lr@1=" + Math.fround(0.1)]);
  const resumed = new RunTail(dir, tail.cursors());
  fs.appendFileSync(file, ev({ step: 2n, summary: [{ tag: "lr", tensor: t(0.05) }, { tag: "odd", tensor: t(8) }] }));
  assert.deepEqual(brief((await resumed.poll()).points), ["lr@2=" + Math.fround(0.05)]);
});

test("a corrupt record is reported once and skipped; a torn tail is truncated only when the import is final", async () => {
  const dir = tmp("corrupt");
  const file = path.join(dir, "events.out.tfevents.1700000000.x");
  const bad = scalar("loss", 2, 2);
  bad[bad.length - 6] ^= 0xff; // inside the payload: the data checksum fails, the length still holds
  fs.writeFileSync(file, Buffer.concat([header(), scalar("loss", 1, 1), bad, scalar("loss", 3, 3), scalar("loss", 4, 4).subarray(0, 10)]));
  const tail = new RunTail(dir);
  const r = await tail.poll();
  assert.deepEqual(brief(r.points), ["loss@1=1", "loss@3=3"]);
  assert.equal(r.problems.length, 1);
  assert.match(r.problems[0], /events\.out\.tfevents\.1700000000\.x: corrupt record at byte \d+: its data checksum does not match/);
  assert.deepEqual((await tail.poll()).problems, [], "reported once");
  const final = await tail.poll(undefined, true);
  assert.deepEqual(final.points, []);
  assert.equal(final.problems.length, 1);
  assert.match(final.problems[0], /ends inside this record/);
});

test("a poll reads at most its byte budget and says more is left", async () => {
  const dir = tmp("budget");
  fs.writeFileSync(path.join(dir, "events.out.tfevents.1.b"), Buffer.concat([header(), ...Array.from({ length: 200 }, (_, i) => scalar("x", i + 1, i))]));
  const tail = new RunTail(dir);
  const got: TailPoint[] = [];
  let polls = 0;
  for (let r = await tail.poll(1000); ; r = await tail.poll(1000)) {
    got.push(...r.points);
    if (!r.more) break;
    assert.ok(++polls < 100);
  }
  assert.ok(polls > 3);
  assert.deepEqual(got.map((p) => p.step), Array.from({ length: 200 }, (_, i) => i + 1));
});

test("run directories: every folder holding event files, named by its path below the chosen one", async () => {
  const root = tmp("runs");
  for (const d of ["", "a", "b/c", "empty"]) fs.mkdirSync(path.join(root, d), { recursive: true });
  for (const d of ["", "a", "b/c"]) fs.writeFileSync(path.join(root, d, "events.out.tfevents.1.h"), header());
  fs.writeFileSync(path.join(root, "empty", "readme.md"), "x");
  const found = await findRunDirs(root);
  assert.deepEqual(found.map((f) => f.name), [path.basename(root), "a", "b/c"].sort());
  assert.deepEqual(await findRunDirs(path.join(root, "empty")), []);
});
