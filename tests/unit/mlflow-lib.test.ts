import assert from "node:assert/strict";
import { test } from "node:test";
import { Int64, LogBatch, MetricValue } from "../../lib/mlflow/contracts";
import { matches, parseFilter, type Subject } from "../../lib/mlflow/filter";
import { guessRole, rolesFromTags, storedKey } from "../../lib/outside-metrics";
import { MetricPoint } from "../../lib/protocol";

test("int64 fields take numbers and decimal strings, and refuse fractions, words and numbers past 2^53", () => {
  assert.equal(Int64.parse("1733212800000"), 1733212800000);
  assert.equal(Int64.parse(42), 42);
  assert.equal(Int64.parse("-3"), -3);
  for (const bad of ["12.5", "ten", "", "9007199254740993", 1.5]) assert.equal(Int64.safeParse(bad).success, false, String(bad));
});

test("metric values: numbers, protobuf JSON's NaN/Infinity strings (stored as null), numeric strings; anything else is refused", () => {
  assert.equal(MetricValue.parse(1.25), 1.25);
  assert.equal(MetricValue.parse("NaN"), null);
  assert.equal(MetricValue.parse("-Infinity"), null);
  assert.equal(MetricValue.parse("0.5"), 0.5);
  assert.equal(MetricValue.safeParse("lots").success, false);
  assert.equal(MetricValue.safeParse("").success, false);
});

test("a log-batch over its limits is refused by the schema with MLflow's limits in the message", () => {
  const metric = { key: "loss", value: 1, timestamp: 1, step: 0 };
  assert.equal(LogBatch.safeParse({ run_id: "r", metrics: Array(1000).fill(metric) }).success, true);
  const over = LogBatch.safeParse({ run_id: "r", metrics: Array(1001).fill(metric) });
  assert.equal(over.success, false);
  assert.match(over.error!.issues[0].message, /1000/);
  assert.equal(LogBatch.safeParse({ run_id: "r", params: Array(101).fill({ key: "a", value: "b" }) }).success, false);
  assert.equal(LogBatch.safeParse({ run_id: "r", metrics: [{ ...metric, key: "k".repeat(251) }] }).success, false);
  assert.equal(LogBatch.safeParse({ run_id: "r", metrics: [{ ...metric, key: "k".repeat(250) }] }).success, true);
});

test("stored keys: plain names stay, role names take the role's key, anything else becomes a valid, stable, distinct key", () => {
  const roles = { loss: "train/loss", tokens_per_sec: "throughput(tps)" };
  assert.equal(storedKey("train/loss", roles), "loss");
  assert.equal(storedKey("throughput(tps)", roles), "tokens_per_sec");
  assert.equal(storedKey("train/epoch", roles), "train/epoch");
  const names = ["mfu(%)", "Loss", "loss", "lr-AdamW", "memory/max_reserved(GiB)", "a".repeat(250), "_h.mfu.e6d142b50ab9", "Grad Norm", "grad norm", "损失"];
  const keys = names.map((n) => storedKey(n, roles));
  for (const k of keys) assert.equal(MetricPoint.shape.key.safeParse(k).success, true, k);
  assert.equal(new Set(keys).size, names.length, "no two names share a key");
  assert.deepEqual(names.map((n) => storedKey(n, roles)), keys, "the same name always maps the same way");
  assert.notEqual(storedKey("_h.mfu.e6d142b50ab9", roles), "_h.mfu.e6d142b50ab9", "a name shaped like a hashed key is hashed too");
});

test("roles are guessed from the names trainers use, only into free places, and tags name them explicitly", () => {
  assert.equal(guessRole("train/loss", {}), "loss");
  assert.equal(guessRole("eval_loss", {}), "val_loss");
  assert.equal(guessRole("learning_rate", {}), "lr");
  assert.equal(guessRole("throughput(tps)", {}), "tokens_per_sec");
  assert.equal(guessRole("loss", { loss: "train/loss" }), null);
  assert.equal(guessRole("accuracy", {}), null);
  assert.deepEqual(rolesFromTags({ loss: "a" }, { "pretrain.key.loss": "my_loss", "pretrain.key.bogus": "x" }), { loss: "my_loss" });
});

test("search filters: MLflow's entities, quoting, comparators and IN lists; unknown syntax is refused", () => {
  const subject: Subject = { attribute: { status: "RUNNING", run_name: "a b" }, tag: { "mlflow.runName": "a b", "my key": "xyz" }, param: { lr: "0.2" }, metric: { loss: 1.5 } };
  const yes = ["tags.mlflow.runName = 'a b'", "metrics.loss < 2", "metrics.loss >= 1.5", "attributes.status IN ('RUNNING','FINISHED')", "tags.`my key` LIKE 'x%'", "tags.\"my key\" ILIKE 'X_Z'", "params.lr != '0.1'", "attribute.run_name = \"a b\" and metric.loss > 1"];
  for (const f of yes) assert.equal(matches(subject, parseFilter(f)), true, f);
  const no = ["metrics.loss > 2", "params.lr = '0.1'", "attributes.status NOT IN ('RUNNING')", "tags.missing = 'x'", "metrics.accuracy > 0"];
  for (const f of no) assert.equal(matches(subject, parseFilter(f)), false, f);
  for (const bad of ["metrics.loss ~ 2", "metrics.loss <", "tags.a = 'x' OR tags.b = 'y'", "attributes.status IN 'x'"])
    assert.throws(() => parseFilter(bad), /filter|comparator|Missing|list|parenthesised/i, bad);
  assert.deepEqual(parseFilter(""), []);
});
