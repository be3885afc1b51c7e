import assert from "node:assert/strict";
import { test } from "node:test";
import { passwordProblem, safeNext } from "../../lib/auth";
import { HostPolicy, isLoopbackBind } from "../../server/auth/hosts";
import { hashPassword, verifyPassword } from "../../server/auth/password";
import { LoginThrottle } from "../../server/auth/throttle";
import { loadEnv } from "../../server/env";

test("scrypt hashes salt each password and verify only the right one", async () => {
  const [a, b] = [await hashPassword("correct horse battery"), await hashPassword("correct horse battery")];
  assert.notEqual(a, b, "a fresh salt each time");
  assert.equal(await verifyPassword("correct horse battery", a), true);
  assert.equal(await verifyPassword("correct horse batterY", a), false);
  assert.equal(await verifyPassword("x", "scrypt$garbage"), false);
  assert.equal(await verifyPassword("x", "plain"), false);
});

test("the password policy names what is wrong", () => {
  assert.match(passwordProblem("short")!, /at least 12/);
  assert.match(passwordProblem("aaaaaaaaaaaaaaaa")!, /5 different/);
  assert.match(passwordProblem("Password1234")!, /common/);
  assert.match(passwordProblem("alice-is-the-best", "alice")!, /login name/);
  assert.equal(passwordProblem("tangerine-rowboat-17"), null);
});

test("the throttle makes a login wait after five failures, doubling, and a success clears it", () => {
  let now = 0;
  const t = new LoginThrottle(() => now);
  for (let i = 0; i < 5; i++) { assert.equal(t.wait("a", "ip"), 0); t.failed("a", "ip"); }
  assert.equal(t.wait("a", "ip"), 30_000);
  assert.equal(t.wait("b", "ip"), 0, "another login from the same address is not held up by five failures");
  now = 30_000;
  assert.equal(t.wait("a", "ip"), 0);
  t.failed("a", "ip");
  assert.equal(t.wait("a", "ip"), 60_000);
  t.succeeded("a");
  assert.equal(t.wait("a", "ip"), 0);
  for (let i = 0; i < 50; i++) t.failed(`n${i}`, "spray");
  assert.ok(t.wait("fresh", "spray") > 0, "one address spraying many logins is slowed too");
});

test("the Host allow-list: loopback names, the bind address, PUBLIC_URL and ALLOWED_HOSTS; Origins must be this server", () => {
  const p = new HostPolicy({ bindHost: "0.0.0.0", publicUrl: "https://dash.example.com", allowedHosts: ["gpu-box:3000"] });
  for (const h of ["localhost:3000", "127.0.0.1", "[::1]:3000", "dash.example.com", "GPU-BOX:3000"]) assert.ok(p.hostAllowed(h), h);
  for (const h of [undefined, "", "0.0.0.0:3000", "evil.example", "localhost.evil.example", "dash.example.com.evil"]) assert.ok(!p.hostAllowed(h), String(h));
  assert.ok(p.originAllowed(undefined, "localhost:3000"));
  assert.ok(p.originAllowed("http://localhost:3000", "localhost:3000"));
  assert.ok(p.originAllowed("https://dash.example.com", "127.0.0.1:3000"), "behind a proxy that rewrites Host");
  assert.ok(!p.originAllowed("http://localhost:3001", "localhost:3000"));
  assert.ok(!p.originAllowed("null", "localhost:3000"));
  assert.ok(!p.originAllowed("http://evil.example", "localhost:3000"));
  assert.ok(new HostPolicy({ bindHost: "10.1.2.3" }).hostAllowed("10.1.2.3:3000"));
  assert.deepEqual(["127.0.0.1", "127.8.0.1", "localhost", "::1", "[::1]", "0.0.0.0", "::", "10.0.0.1"].map(isLoopbackBind), [true, true, true, true, true, false, false, false]);
});

test("after sign-in, only a path on this site", () => {
  assert.equal(safeNext("/runs/new?x=1"), "/runs/new?x=1");
  for (const bad of ["//evil.example", "/\\evil.example", "https://evil.example", "", null]) assert.equal(safeNext(bad), "/");
});

test("the auth environment is validated, naming the variable", () => {
  const env = loadEnv({ PUBLIC_URL: "https://dash.example.com", ALLOWED_HOSTS: " a.example, B.example ,", AUTH_SETUP: "1", ADMIN_USER: "Root@Example.com", ADMIN_PASSWORD: "tangerine-rowboat-17" });
  assert.deepEqual([env.PUBLIC_URL, env.ALLOWED_HOSTS, env.AUTH_SETUP, env.ADMIN_USER, env.SESSION_TTL_HOURS], ["https://dash.example.com", ["a.example", "b.example"], true, "root@example.com", 168]);
  assert.equal(loadEnv({}).AUTH_SETUP, false);
  assert.throws(() => loadEnv({ PUBLIC_URL: "ftp://x.example" }), /PUBLIC_URL/);
  assert.throws(() => loadEnv({ ADMIN_USER: "root", ADMIN_PASSWORD: "short" }), /ADMIN_PASSWORD: Password too short/);
  assert.throws(() => loadEnv({ ADMIN_PASSWORD: "tangerine-rowboat-17" }), /ADMIN_USER: set ADMIN_USER and ADMIN_PASSWORD together/);
  assert.throws(() => loadEnv({ ADMIN_USER: "bad name", ADMIN_PASSWORD: "tangerine-rowboat-17" }), /ADMIN_USER/);
  assert.throws(() => loadEnv({ AUTH_SETUP: "yes" }), /AUTH_SETUP/);
});
