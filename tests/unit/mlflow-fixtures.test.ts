// Every MLflow conformance fixture parses, and each step only uses variables captured by an earlier
// step (or built in); the matcher itself tells a match from a mismatch.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BUILT_INS, expand, Fixture, loadFixtures, match, queryString, referencedVars } from "../helpers/mlflow-fixture";

const fixtures = loadFixtures();

test("there are fixtures for every flow the trainers use", () => {
  const names = fixtures.map((f) => f.name);
  for (const prefix of ["fluent-", "lightning-", "hf-", "errors-", "auth-", "ajax-api", "get-query", "metrics-nan"]) {
    assert.ok(names.some((n) => n.startsWith(prefix)), `no fixture named ${prefix}…`);
  }
});

for (const { name, raw } of fixtures) {
  test(`fixture ${name} is well formed`, () => {
    const parsed = Fixture.safeParse(raw);
    assert.ok(parsed.success, parsed.success ? "" : `${name}: ${parsed.error.message}`);
    const known = new Set(BUILT_INS);
    for (const [k, step] of parsed.data.steps.entries()) {
      const used = referencedVars([step.path, step.query, step.body, step.expect.body]);
      for (const v of used) assert.ok(known.has(v), `${name} step ${k + 1} uses \${${v}} before any step captures it`);
      for (const v of Object.keys(step.capture ?? {})) known.add(v);
      assert.ok(step.path.startsWith("/api/") || step.path.startsWith("/ajax-api/"));
      // The Python client posts JSON with snake_case names; no camelCase field reaches the wire.
      const body = JSON.stringify(step.body ?? {});
      assert.doesNotMatch(body, /"(runId|experimentId|startTime|endTime|runName|metricKey)"/, `${name} step ${k + 1} has a camelCase field`);
    }
    // As the client sends them: param and tag values are strings, even when a $repeat counts them.
    const fake = Object.fromEntries([...known].map((v) => [v, v === "now" ? 1 : "v"]));
    for (const [k, step] of parsed.data.steps.entries()) {
      const body = expand(step.body ?? {}, fake) as Record<string, unknown>;
      for (const list of ["params", "tags"]) {
        for (const e of Array.isArray(body[list]) ? body[list] : []) {
          assert.equal(typeof (e as { value: unknown }).value, "string", `${name} step ${k + 1}: a ${list} value that is not a string`);
        }
      }
    }
    for (const check of parsed.data.dashboard ?? []) {
      for (const v of referencedVars([check.input, check.expect])) assert.ok(known.has(v), `${name} dashboard uses \${${v}} that no step captures`);
    }
  });
}

test("expand fills variables by type and repeats array items", () => {
  const out = expand({ ts: "${now}", name: "exp-${uniq}", params: [{ $repeat: 3, from: 1, of: { key: "p${i}", value: "${i:string}" } }, { key: "last", value: "x" }] }, { now: 5, uniq: "u" });
  assert.deepEqual(out, { ts: 5, name: "exp-u", params: [{ key: "p1", value: "1" }, { key: "p2", value: "2" }, { key: "p3", value: "3" }, { key: "last", value: "x" }] });
  assert.equal(expand("${i}", { i: 3 }), 3);
  assert.equal(expand("${i:string}", { i: 3 }), "3");
  assert.throws(() => expand("${run_id}", {}), /before it is captured/);
});

test("match finds subsets, reports differences, and knows its matchers", () => {
  const answer = { run: { info: { status: "RUNNING", run_id: "abc", start_time: 12 }, data: { tags: [{ key: "a", value: "1" }, { key: "b", value: "2" }] } } };
  assert.deepEqual(match({ run: { info: { status: "RUNNING", run_id: "$nonempty", start_time: "$number" }, data: { tags: [{ key: "b", value: "2" }] } } }, answer), []);
  assert.deepEqual(match({ run: { info: { status: "FINISHED" } } }, answer), ['body.run.info.status: expected "FINISHED", got "RUNNING"']);
  assert.match(match({ run: { data: { tags: [{ key: "b", value: "3" }] } } }, answer)[0], /no element matches.*answer has \[\{"key":"b","value":"2"\}\]/);
  assert.equal(match({ run: { data: { tags: [{ key: "a" }, { key: "a" }] } } }, answer).length, 1, "each expected element takes its own answer element");
  assert.deepEqual(match({ run: { data: { tags: { $length: 2 } } } }, answer), []);
  assert.equal(match({ run: { data: { tags: { $length: 3 } } } }, answer).length, 1);
  assert.deepEqual(match({ run: { info: { end_time: "$absent" } } }, answer), []);
  assert.equal(match({ run: { info: { status: "$absent" } } }, answer).length, 1);
  assert.deepEqual(match({ v: { $oneOf: ["NaN", null] } }, { v: "NaN" }), []);
  assert.equal(match({ v: { $oneOf: ["NaN", null] } }, { v: 0 }).length, 1);
  assert.deepEqual(match({ t: { $numeric: 7 } }, { t: "7" }), []);
  assert.equal(match({ t: { $numeric: 7 } }, { t: "8" }).length, 1);
});

test("queryString writes params as requests does", () => {
  assert.equal(queryString({ experiment_name: "my exp/1", n: 3 }), "?experiment_name=my+exp%2F1&n=3");
  assert.equal(queryString({ a: ["x", "y"] }), "?a=x&a=y");
  assert.equal(queryString({}), "");
});
