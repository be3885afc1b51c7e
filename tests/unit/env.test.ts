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

test("DATABASE_URL picks the engine: file: is SQLite, postgresql:// and postgres:// PostgreSQL; anything else is refused without echoing it", () => {
  assert.equal(loadEnv({}).dbProvider, "sqlite");
  assert.equal(loadEnv({ DATABASE_URL: "" }).databaseUrl, `file:${path.resolve("data", "app.db")}`, "empty counts as unset");
  assert.deepEqual([loadEnv({ DATABASE_URL: "file:/tmp/x.db" }).dbProvider, loadEnv({ DATABASE_URL: "file:/tmp/x.db" }).databaseUrl], ["sqlite", "file:/tmp/x.db"]);
  for (const url of ["postgresql://u:p@db:5432/app", "postgres://db/app"]) {
    const env = loadEnv({ DATABASE_URL: url });
    assert.deepEqual([env.dbProvider, env.databaseUrl], ["postgresql", url]);
  }
  for (const bad of ["mysql://u:hunter2@db/app", "/var/lib/app.db", "sqlite:app.db"]) {
    assert.throws(() => loadEnv({ DATABASE_URL: bad }), (e: Error) => /DATABASE_URL must start with file: \(SQLite\), postgresql:\/\/ or postgres:\/\//.test(e.message) && !e.message.includes("hunter2"));
  }
  assert.equal(loadEnv({}).DATABASE_POOL_SIZE, 10);
  assert.throws(() => loadEnv({ DATABASE_POOL_SIZE: "0" }), /DATABASE_POOL_SIZE/);
});

test("scale-out: REDIS_URL, SERVER_URLS and the lease timings are checked, naming the variable; unset, nothing is on", () => {
  const alone = loadEnv({});
  assert.equal(alone.REDIS_URL, undefined);
  assert.deepEqual(alone.SERVER_URLS, []);
  assert.deepEqual([alone.LEASE_TTL_MS, alone.LEASE_RENEW_MS], [10_000, 2_000]);
  const env = loadEnv({ REDIS_URL: "redis://:pw@127.0.0.1:6379/2", SERVER_URLS: "http://10.0.0.5:3000/, https://dash.example.com", LEASE_TTL_MS: "4000", LEASE_RENEW_MS: "1000" });
  assert.equal(env.REDIS_URL, "redis://:pw@127.0.0.1:6379/2");
  assert.deepEqual(env.SERVER_URLS, ["http://10.0.0.5:3000", "https://dash.example.com"]);
  assert.throws(() => loadEnv({ REDIS_URL: "http://127.0.0.1:6379" }), /REDIS_URL/);
  assert.throws(() => loadEnv({ SERVER_URLS: "http://ok:1,ftp://bad" }), /SERVER_URLS: ftp:\/\/bad/);
  assert.throws(() => loadEnv({ LEASE_TTL_MS: "3000", LEASE_RENEW_MS: "2000" }), /LEASE_RENEW_MS: must be at most half/);
  assert.throws(() => loadEnv({ INSTANCE_ID: "a b" }), /INSTANCE_ID/);
});
