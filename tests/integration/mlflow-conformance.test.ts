// Replays every MLflow conformance fixture (tests/fixtures/mlflow/*.json), the request sequences the
// Python mlflow client and the trainers built on it send, against a real server with sign-in on,
// and checks each answer's status and body; then the fixture's checks through the dashboard's tRPC.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, test } from "node:test";
import { ADMIN_ENV, basic, bearer, call } from "../helpers/auth";
import { dig, expand, Fixture, loadFixtures, match, queryString, show, type FixtureStep, type Vars } from "../helpers/mlflow-fixture";
import { startServer, tempDataDir, type TestServer } from "../helpers/server";
import { writeKey } from "../helpers/worker";

let server: TestServer;
let key = "";

before(async () => {
  server = await startServer(tempDataDir("mlflow-conformance"), ADMIN_ENV);
  key = (await writeKey(server.url, "mlflow-conformance")).key;
});
after(async () => { await server?.stop(); });

function authHeaders(mode: FixtureStep["auth"]): Record<string, string> {
  switch (mode ?? "bearer") {
    case "bearer": return bearer(key);
    // As MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD make the client send it.
    case "basic": return basic(key, "trainer");
    case "wrong-basic": return basic(`${key}x`, "trainer");
    case "wrong-bearer": return bearer(`${key}x`);
    case "none": return {};
  }
}

async function send(step: FixtureStep, vars: Vars, fallbackAuth: FixtureStep["auth"]) {
  const path = expand(step.path, vars) as string;
  const headers: Record<string, string> = { "user-agent": "mlflow-python-client/2.17.2", ...authHeaders(step.auth ?? fallbackAuth) };
  let url = `${server.url}${path}`;
  let init: RequestInit = { method: step.method, headers };
  let sent: unknown;
  if (step.method === "GET") {
    url += queryString(expand(step.query ?? {}, vars) as Record<string, unknown>);
  } else {
    sent = expand(step.body ?? {}, vars);
    init = { ...init, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(sent) };
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* kept as text: the failure message shows it */ }
  return { url, sent, status: res.status, body };
}

for (const { name, raw } of loadFixtures()) {
  describe(`mlflow fixture ${name}`, () => {
    const fixture = Fixture.parse(raw);
    const vars: Vars = { uniq: `${name}-${crypto.randomBytes(3).toString("hex")}` };

    test(fixture.description, async () => {
      for (const [k, step] of fixture.steps.entries()) {
        vars.now = Date.now();
        const got = await send(step, vars, fixture.auth);
        const expected = expand(step.expect.body, vars);
        const problems = [
          ...(got.status === step.expect.status ? [] : [`status: expected ${step.expect.status}, got ${got.status}`]),
          ...(expected === undefined ? [] : match(expected, got.body)),
        ];
        if (problems.length) {
          assert.fail([
            `step ${k + 1}/${fixture.steps.length}${step.note ? ` (${step.note})` : ""}: ${step.method} ${got.url}`,
            ...(got.sent === undefined ? [] : [`  sent: ${show(got.sent)}`]),
            `  answer ${got.status}: ${show(got.body)}`,
            ...problems.map((p) => `  ✗ ${p}`),
          ].join("\n"));
        }
        for (const [v, at] of Object.entries(step.capture ?? {})) {
          const value = dig(got.body, at);
          if (value === undefined) assert.fail(`step ${k + 1}: nothing at ${at} to capture as ${v} in ${show(got.body)}`);
          vars[v] = value;
        }
      }

      for (const [k, check] of (fixture.dashboard ?? []).entries()) {
        const input = expand(check.input, vars);
        const r = await call(server.url, check.procedure, "query", input, bearer(key));
        const data = r.status === 200 ? r.body?.result?.data : undefined;
        const problems = r.status === 200 ? match(expand(check.expect, vars), data, check.procedure) : [`status ${r.status}`];
        if (problems.length) {
          assert.fail([
            `dashboard check ${k + 1}${check.note ? ` (${check.note})` : ""}: ${check.procedure} ${show(input)}`,
            `  answer ${r.status}: ${show(data ?? r.body)}`,
            ...problems.map((p) => `  ✗ ${p}`),
          ].join("\n"));
        }
      }
    });
  });
}
