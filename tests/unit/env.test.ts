import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { loadEnv } from "../../server/env";

test("the server binds to 127.0.0.1:3000 with ./data by default", () => {
  const env = loadEnv({});
  assert.equal(env.HOST, "127.0.0.1");
  assert.equal(env.PORT, 3000);
  assert.equal(env.dataDir, path.resolve("data"));
  assert.equal(env.databaseUrl, `file:${path.resolve("data", "app.db")}`);
});

test("HOST, PORT and DATA_DIR change that", () => {
  const env = loadEnv({ HOST: "0.0.0.0", PORT: "8080", DATA_DIR: "/tmp/x" });
  assert.deepEqual([env.HOST, env.PORT, env.dataDir], ["0.0.0.0", 8080, "/tmp/x"]);
});

test("a bad value is refused with a message naming the variable", () => {
  assert.throws(() => loadEnv({ PORT: "http" }), /PORT/);
  assert.throws(() => loadEnv({ PORT: "70000" }), /PORT/);
  assert.throws(() => loadEnv({ NODE_ENV: "staging" }), /NODE_ENV/);
  assert.throws(() => loadEnv({ STOP_TIMEOUT_S: "-1" }), /STOP_TIMEOUT_S/);
});

test("fault injection is off unless ENABLE_FAULT_INJECTION=1, and a bad value names the variable", () => {
  assert.equal(loadEnv({}).ENABLE_FAULT_INJECTION, false);
  assert.equal(loadEnv({ ENABLE_FAULT_INJECTION: "0" }).ENABLE_FAULT_INJECTION, false);
  assert.equal(loadEnv({ ENABLE_FAULT_INJECTION: "1" }).ENABLE_FAULT_INJECTION, true);
  assert.throws(() => loadEnv({ ENABLE_FAULT_INJECTION: "yes" }), /ENABLE_FAULT_INJECTION/);
});
