// Sign-in on: every procedure and the browser socket refuse callers without credentials; roles,
// key scopes, Origin and Host are enforced. Sign-in off only in local mode, on loopback.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { appRouter } from "../../server/trpc/router";
import { sha256 } from "../../server/auth/tokens";
import { ADMIN, ADMIN_ENV, basic, bearer, call, rawGet, signIn, socketWith } from "../helpers/auth";
import { databaseEnv, openTestDb } from "../helpers/db";
import { startServer, tempDataDir, type TestServer } from "../helpers/server";

const root = path.resolve(import.meta.dirname, "../..");
const PUBLIC = ["auth.login", "auth.logout", "auth.me", "auth.setup"];
/** Admin-only queries: a viewer's read does not reach them. */
const ADMIN_QUERIES = ["user.list"];
/** A viewer's own account: they make and revoke their own (read) keys. */
const ACCOUNT = ["apiKey.create", "apiKey.revoke"];
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: "query" | "mutation" | "subscription" } }>)
  .map(([name, p]) => ({ name, type: p._def.type === "mutation" ? ("mutation" as const) : ("query" as const) }));
const guarded = procedures.filter((p) => !PUBLIC.includes(p.name));
const PASSWORDS = { viewer: "sunlit-harbor-91-v", member: "quiet-meadow-47-m" };
const MUTE = { runId: null, type: "*", minutes: 5 };

describe("with sign-in on", () => {
  let server: TestServer;
  let admin: string;
  const users: Record<string, { id: string; cookie: string }> = {};

  before(async () => {
    server = await startServer(tempDataDir("auth"), ADMIN_ENV);
    admin = await signIn(server.url, ADMIN.login, ADMIN.password);
    for (const role of ["viewer", "member"] as const) {
      const made = await call(server.url, "user.create", "mutation", { login: role, name: `A ${role}`, password: PASSWORDS[role], role }, { cookie: admin });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      users[role] = { id: made.body.result.data.id, cookie: await signIn(server.url, role, PASSWORDS[role]) };
    }
  });
  after(() => server?.stop());

  test("the router has procedures to check, and only the four sign-in ones are public", () => {
    assert.ok(guarded.length > 40, `found ${guarded.length}`);
    assert.deepEqual(procedures.filter((p) => PUBLIC.includes(p.name)).map((p) => p.name).sort(), PUBLIC);
  });

  test("every procedure refuses a request without credentials with 401 and no data", async () => {
    for (const p of guarded) {
      const r = await call(server.url, p.name, p.type, {});
      assert.equal(r.status, 401, `${p.name}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.result, undefined, `${p.name} answered data`);
      assert.equal(r.body.error.data.code, "UNAUTHORIZED");
    }
    const me = await call(server.url, "auth.me", "query");
    assert.deepEqual(me.body.result.data, { mode: "on", user: null, role: null, via: null });
    assert.equal((await call(server.url, "auth.login", "mutation", { login: "admin", password: "wrong-password-123" })).status, 401);
  });

  test("a wrong or garbled credential gets 401 too", async () => {
    for (const headers of [bearer("pdk_AAAAAAAA_" + "x".repeat(43)), bearer("nonsense"), basic("nonsense"), { cookie: "pretrain_session=forged" }, { authorization: "Digest x" }]) {
      const r = await call(server.url, "run.list", "query", undefined, headers);
      assert.equal(r.status, 401, JSON.stringify(headers));
    }
  });

  test("a viewer reads but is refused every mutation (403), and admin-only queries", async () => {
    const cookie = users.viewer.cookie;
    for (const p of guarded) {
      const r = await call(server.url, p.name, p.type, {}, { cookie });
      const refused = (p.type === "mutation" && !ACCOUNT.includes(p.name)) || ADMIN_QUERIES.includes(p.name);
      if (refused) {
        assert.equal(r.status, 403, `${p.name}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.result, undefined);
      } else {
        assert.ok(r.status !== 401 && r.status !== 403, `${p.name} refused a viewer: ${r.status}`);
      }
    }
    assert.equal((await call(server.url, "run.list", "query", undefined, { cookie })).status, 200);
    const muted = await call(server.url, "alert.mutes", "query", {}, { cookie: admin });
    assert.deepEqual(muted.body.result.data, [], "no viewer mutation wrote anything");
  });

  test("a member changes things but not users or global webhooks", async () => {
    const cookie = users.member.cookie;
    assert.equal((await call(server.url, "alert.mute", "mutation", MUTE, { cookie })).status, 200);
    for (const [name, input] of [
      ["user.create", { login: "x1", name: "x", password: "x-password-long-1", role: "admin" }],
      ["user.update", { id: users.viewer.id, role: "admin" }],
      ["user.resetPassword", { id: users.viewer.id, password: "x-password-long-1" }],
      ["webhook.create", { runId: null, url: "https://example.com/hook", format: "json", minSeverity: "info" }],
    ] as const) {
      const r = await call(server.url, name, "mutation", input, { cookie });
      assert.equal(r.status, 403, `${name}: ${JSON.stringify(r.body)}`);
    }
    assert.equal((await call(server.url, "user.list", "query", undefined, { cookie })).status, 403);
    const hook = await call(server.url, "webhook.create", "mutation", { runId: null, url: "https://example.com/hook", format: "json", minSeverity: "info" }, { cookie: admin });
    assert.equal(hook.status, 200, JSON.stringify(hook.body));
    for (const name of ["webhook.update", "webhook.remove", "webhook.test"]) {
      const r = await call(server.url, name, "mutation", { id: hook.body.result.data.id }, { cookie });
      assert.equal(r.status, 403, `${name} on a global webhook: ${JSON.stringify(r.body)}`);
    }
    const hooks = await call(server.url, "webhook.list", "query", undefined, { cookie });
    assert.equal(hooks.body.result.data.length, 1, "the member removed nothing");
  });

  test("API keys: scopes, Bearer and Basic, revocation; shown once and stored hashed", async () => {
    const make = async (scopes: string[], cookie = admin) => {
      const r = await call(server.url, "apiKey.create", "mutation", { name: scopes.join("+"), scopes }, { cookie });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.result.data as { id: string; key: string; prefix: string };
    };
    const read = await make(["read"]);
    const write = await make(["read", "write"]);
    const adminKey = await make(["admin"]);
    assert.ok(read.key.startsWith(`${read.prefix}_`));

    const mutes = async () => (await call(server.url, "alert.mutes", "query", {}, { cookie: admin })).body.result.data.length;
    const before = await mutes();
    assert.equal((await call(server.url, "run.list", "query", undefined, bearer(read.key))).status, 200);
    const refused = await call(server.url, "alert.mute", "mutation", MUTE, bearer(read.key));
    assert.equal(refused.status, 403);
    assert.match(refused.body.error.message, /lacks the write scope/);
    assert.equal(await mutes(), before, "the read key wrote nothing");
    assert.equal((await call(server.url, "alert.mute", "mutation", MUTE, bearer(write.key))).status, 200);
    assert.equal(await mutes(), before + 1);
    assert.equal((await call(server.url, "alert.mute", "mutation", MUTE, basic(write.key))).status, 200, "Basic with the key as password");
    assert.equal((await call(server.url, "user.list", "query", undefined, bearer(write.key))).status, 403, "admin role, no admin scope");
    assert.equal((await call(server.url, "user.list", "query", undefined, bearer(adminKey.key))).status, 200);
    assert.equal((await call(server.url, "user.list", "query", undefined, basic(adminKey.key))).status, 200);
    const me = await call(server.url, "auth.me", "query", undefined, basic(read.key, "admin"));
    assert.deepEqual([me.body.result.data.user.login, me.body.result.data.via], ["admin", "key"]);

    // Keys cannot mint keys, and a role caps the scopes its keys may hold.
    assert.equal((await call(server.url, "apiKey.create", "mutation", { name: "x", scopes: ["read"] }, bearer(write.key))).status, 403);
    assert.equal((await call(server.url, "apiKey.create", "mutation", { name: "x", scopes: ["write"] }, { cookie: users.viewer.cookie })).status, 403);
    const viewerKey = await make(["read"], users.viewer.cookie);
    assert.equal((await call(server.url, "alert.mute", "mutation", MUTE, bearer(viewerKey.key))).status, 403);

    const listed = await call(server.url, "apiKey.list", "query", undefined, { cookie: admin });
    const text = JSON.stringify(listed.body);
    assert.equal(listed.body.result.data.length, 3, "own keys only");
    for (const k of [read, write, adminKey]) assert.ok(!text.includes(k.key.slice(k.prefix.length + 1)), "a list never shows a secret");
    assert.equal((await call(server.url, "apiKey.list", "query", { all: true }, { cookie: admin })).body.result.data.length, 4);
    assert.equal((await call(server.url, "apiKey.list", "query", { all: true }, { cookie: users.member.cookie })).status, 403);
    assert.equal((await call(server.url, "apiKey.revoke", "mutation", { id: read.id }, { cookie: users.member.cookie })).status, 404, "not the member's key");

    assert.equal((await call(server.url, "apiKey.revoke", "mutation", { id: read.id }, { cookie: admin })).status, 200);
    const revoked = await call(server.url, "run.list", "query", undefined, bearer(read.key));
    assert.equal(revoked.status, 401);
    assert.match(revoked.body.error.message, /not valid, or was revoked/);

    // Whatever reached the disk: the database file and its write-ahead log hold hashes, never secrets.
    const db = await openTestDb(server.dataDir, { readonly: true });
    const rows = await db.all<{ prefix: string; secretHash: string }>(`SELECT "prefix", "secretHash" FROM "ApiKey"`);
    const sessions = await db.all<{ tokenHash: string }>(`SELECT "tokenHash" FROM "Session"`);
    const hashes = await db.all<{ passwordHash: string }>(`SELECT "passwordHash" FROM "User"`);
    // PostgreSQL keeps its files to itself: there, every row of every table, as text, stands for them.
    const rowText = db.provider === "postgresql"
      ? (await Promise.all((await db.tables()).map((t) => db.all<{ row: string }>(`SELECT t::text AS "row" FROM "${t}" t`)))).flat().map((r) => r.row).join("\n")
      : "";
    await db.close();
    assert.equal(rows.find((r) => r.prefix === write.prefix)?.secretHash, sha256(write.key));
    assert.ok(sessions.some((s) => s.tokenHash === sha256(decodeURIComponent(admin.split("=")[1]))));
    assert.ok(hashes.every((h) => /^scrypt\$\d+\$8\$1\$[\w-]{22}\$[\w-]{43}$/.test(h.passwordHash)));
    assert.equal(new Set(hashes.map((h) => h.passwordHash.split("$")[4])).size, hashes.length, "a salt per user");
    const files = ["app.db", "app.db-wal"].map((f) => path.join(server.dataDir, f)).filter((f) => fs.existsSync(f));
    const disk = Buffer.concat(files.map((f) => fs.readFileSync(f))).toString("latin1") + rowText;
    for (const secret of [read.key, write.key, adminKey.key, read.key.slice(read.prefix.length + 1), admin.split("=")[1], ADMIN.password]) {
      assert.ok(!disk.includes(secret), `a secret is on disk: ${secret.slice(0, 12)}…`);
    }
  });

  test("the browser socket namespace needs a session or a key; a foreign Origin is refused", async () => {
    await assert.rejects(socketWith(server.url), /Sign in/);
    await assert.rejects(socketWith(server.url, { headers: { cookie: "pretrain_session=forged" } }), /expired/);
    (await socketWith(server.url, { headers: { cookie: admin } })).close();
    const key = (await call(server.url, "apiKey.create", "mutation", { name: "socket", scopes: ["read"] }, { cookie: admin })).body.result.data.key;
    (await socketWith(server.url, { token: key })).close();
    (await socketWith(server.url, { headers: bearer(key) })).close();
    (await socketWith(server.url, { headers: { cookie: admin, origin: server.url } })).close();
    await assert.rejects(socketWith(server.url, { headers: { cookie: admin, origin: "http://evil.example" } }));
    await assert.rejects(socketWith(server.url, { headers: { cookie: admin, origin: "null" } }));
  });

  test("a live socket is dropped when its key is revoked or its session signs out", async () => {
    const made = (await call(server.url, "apiKey.create", "mutation", { name: "live", scopes: ["read"] }, { cookie: admin })).body.result.data;
    const session = await signIn(server.url, ADMIN.login, ADMIN.password);
    const [byKey, byCookie, other] = await Promise.all([socketWith(server.url, { token: made.key }), socketWith(server.url, { headers: { cookie: session } }), socketWith(server.url, { headers: { cookie: admin } })]);
    const dropped = (s: typeof byKey) => new Promise<string>((resolve) => s.once("disconnect", resolve));
    const keyGone = dropped(byKey);
    assert.equal((await call(server.url, "apiKey.revoke", "mutation", { id: made.id }, { cookie: admin })).status, 200);
    assert.equal(await keyGone, "io server disconnect");
    const cookieGone = dropped(byCookie);
    assert.equal((await call(server.url, "auth.logout", "mutation", undefined, { cookie: session })).status, 200);
    assert.equal(await cookieGone, "io server disconnect");
    assert.ok(other.connected, "another session's socket stays");
    other.close();
  });

  test("a mutation from a foreign Origin is refused, even with a session", async () => {
    const evil = await call(server.url, "alert.mute", "mutation", MUTE, { cookie: admin, origin: "http://evil.example" });
    assert.equal(evil.status, 403);
    assert.match(JSON.stringify(evil.body), /Origin http:\/\/evil\.example may not change anything/);
    const port = new URL(server.url).port;
    assert.equal((await call(server.url, "alert.mute", "mutation", MUTE, { cookie: admin, origin: `http://localhost:${port}1` })).status, 403, "another port");
    assert.equal((await call(server.url, "auth.login", "mutation", ADMIN, { origin: "http://evil.example" })).status, 403, "no sign-in from another site");
    assert.equal((await call(server.url, "alert.mute", "mutation", MUTE, { cookie: admin, origin: server.url })).status, 200);
  });

  test("a foreign Host header is refused on HTTP and on the socket.io handshake", async () => {
    const port = new URL(server.url).port;
    for (const p of ["/", "/login", "/api/trpc/auth.me", "/socket.io/?EIO=4&transport=polling"]) {
      const r = await rawGet(server.url, p, { host: `evil.example:${port}`, cookie: admin });
      assert.ok(r.status === 421 || r.status === 403, `${p}: ${r.status}`);
      assert.ok(!r.body.includes("result"), p);
    }
    assert.match((await rawGet(server.url, "/", { host: `rebind.example:${port}` })).body, /not served here/);
    assert.equal((await rawGet(server.url, "/api/trpc/auth.me", { host: `localhost:${port}` })).status, 200);
    assert.equal((await rawGet(server.url, "/api/trpc/auth.me", { host: `[::1]:${port}` })).status, 200);
    assert.equal((await rawGet(server.url, "/socket.io/?EIO=4&transport=polling", { host: `localhost:${port}`, cookie: admin })).status, 200);
  });

  test("pages redirect to the sign-in page; other /api paths answer 401; assets and /login stay open", async () => {
    const page = await fetch(`${server.url}/runs/new?x=1`, { redirect: "manual" });
    assert.equal(page.status, 302);
    assert.equal(page.headers.get("location"), `/login?next=${encodeURIComponent("/runs/new?x=1")}`);
    // The MLflow API answers in MLflow's error shape, before it says whether the route exists.
    const api = await fetch(`${server.url}/api/2.0/mlflow/experiments/list`);
    assert.equal(api.status, 401);
    const body = await api.json();
    assert.equal(body.error_code, "UNAUTHENTICATED");
    assert.match(body.message, /Sign in/);
    const other = await fetch(`${server.url}/api/download/runs/x/trainer.log`);
    assert.equal(other.status, 401, "downloads need credentials too");
    const login = await fetch(`${server.url}/login`);
    assert.equal(login.status, 200);
    const asset = (await login.text()).match(/\/_next\/static\/[^"]+\.js/)?.[0];
    assert.ok(asset);
    assert.equal((await fetch(`${server.url}${asset}`)).status, 200);
    assert.equal((await fetch(`${server.url}/`, { headers: { cookie: admin } })).status, 200);
    for (const sneaky of ["/_next/static/../../alerts", "/login/../alerts", "/_next/static/%2e%2e/%2e%2e/alerts", "/icon.svg/../alerts"]) {
      assert.equal((await rawGet(server.url, sneaky, { host: new URL(server.url).host })).status, 302, sneaky);
    }
    assert.equal((await fetch(`${server.url}/setup`, { redirect: "manual" })).headers.get("location"), "/login", "setup is over");
  });

  test("sessions: httpOnly and SameSite=Lax; sign-out ends them; a disabled user is out", async () => {
    const res = await fetch(`${server.url}/api/trpc/auth.login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ login: "member", password: PASSWORDS.member }) });
    const set = res.headers.getSetCookie()[0];
    assert.match(set, /HttpOnly/);
    assert.match(set, /SameSite=Lax/);
    assert.doesNotMatch(set, /Secure/, "plain http on loopback");
    const cookie = set.split(";")[0];
    assert.equal((await call(server.url, "run.list", "query", undefined, { cookie })).status, 200);
    const out = await call(server.url, "auth.logout", "mutation", undefined, { cookie });
    assert.match(out.headers["set-cookie"] ?? "", /Max-Age=0/);
    assert.equal((await call(server.url, "run.list", "query", undefined, { cookie })).status, 401);

    const other = await signIn(server.url, "member", PASSWORDS.member);
    assert.equal((await call(server.url, "user.update", "mutation", { id: users.member.id, disabled: true }, { cookie: admin })).status, 200);
    assert.equal((await call(server.url, "run.list", "query", undefined, { cookie: other })).status, 401);
    const again = await call(server.url, "auth.login", "mutation", { login: "member", password: PASSWORDS.member });
    assert.equal(again.status, 403);
    assert.match(again.body.error.message, /disabled/);
    const me = await call(server.url, "auth.me", "query", undefined, { cookie: admin });
    const lastAdmin = await call(server.url, "user.update", "mutation", { id: me.body.result.data.user.id, role: "member" }, { cookie: admin });
    assert.equal(lastAdmin.status, 400);
    assert.match(lastAdmin.body.error.message, /At least one enabled admin/);
  });

  test("weak passwords are refused with the reason; a reset ends the user's sessions", async () => {
    const weak = await call(server.url, "user.create", "mutation", { login: "weak", name: "w", password: "short", role: "member" }, { cookie: admin });
    assert.equal(weak.status, 400);
    assert.match(weak.body.error.message, /at least 12 characters/);
    const common = await call(server.url, "user.create", "mutation", { login: "weak", name: "w", password: "password1234", role: "member" }, { cookie: admin });
    assert.match(common.body.error.message, /common password/);
    const cookie = users.viewer.cookie;
    assert.equal((await call(server.url, "user.resetPassword", "mutation", { id: users.viewer.id, password: "a-fresh-reset-pass-9" }, { cookie: admin })).status, 200);
    assert.equal((await call(server.url, "run.list", "query", undefined, { cookie })).status, 401);
    users.viewer.cookie = await signIn(server.url, "viewer", "a-fresh-reset-pass-9");
  });

  test("repeated wrong passwords slow sign-in down, even with the right one next", async () => {
    assert.equal((await call(server.url, "user.create", "mutation", { login: "target", name: "t", password: "distant-cliff-88-t", role: "viewer" }, { cookie: admin })).status, 200);
    for (let i = 0; i < 5; i++) {
      assert.equal((await call(server.url, "auth.login", "mutation", { login: "target", password: `guess-${i}-xxxxxxxx` })).status, 401);
    }
    const slowed = await call(server.url, "auth.login", "mutation", { login: "target", password: "distant-cliff-88-t" });
    assert.equal(slowed.status, 429);
    assert.match(slowed.body.error.message, /Too many failed sign-ins; try again in \d+ s/);
    assert.equal((await call(server.url, "run.list", "query", undefined, { cookie: admin })).status, 200, "others are not locked out");
  });
});

/** Runs server/index.ts to its exit; returns the code and everything it printed. */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const dataDir = tempDataDir("auth-exit");
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(root, "server", "index.ts")], {
    cwd: root, env: { ...process.env, NODE_ENV: "production", PORT: "0", DATA_DIR: dataDir, ...(await databaseEnv(dataDir)), ...env }, stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (out += d));
  const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  return new Promise((resolve) => proc.on("exit", (code) => { clearTimeout(timer); resolve({ code, out }); }));
}

test("bound to a non-loopback address with no user, the server refuses to start and says how to set up", async () => {
  const { code, out } = await runToExit({ HOST: "0.0.0.0" });
  assert.equal(code, 2, out);
  assert.match(out, /Refusing to start: HOST=0\.0\.0\.0 is reachable from other machines/);
  assert.match(out, /ADMIN_USER=admin ADMIN_PASSWORD=/);
  assert.match(out, /AUTH_SETUP=1.*\/setup/);
  assert.doesNotMatch(out, /listening on/);
});

test("a weak ADMIN_PASSWORD stops the start with the rule it broke", async () => {
  const { code, out } = await runToExit({ HOST: "127.0.0.1", ADMIN_USER: "admin", ADMIN_PASSWORD: "admin123" });
  assert.equal(code, 2, out);
  assert.match(out, /ADMIN_PASSWORD: Password too short: use at least 12 characters/);
  const half = await runToExit({ HOST: "127.0.0.1", ADMIN_USER: "admin" });
  assert.equal(half.code, 2);
  assert.match(half.out, /set ADMIN_USER and ADMIN_PASSWORD together/);
});

test("AUTH_SETUP=1 opens a one-time /setup page guarded by the token in the log", async (t) => {
  const server = await startServer(tempDataDir("auth-setup"), { HOST: "0.0.0.0", AUTH_SETUP: "1" });
  t.after(() => server.stop());
  const token = server.output().match(/one-time token: (\S+)\)/)?.[1];
  assert.ok(token, server.output());
  assert.equal((await call(server.url, "run.list", "query")).status, 401, "nothing answers before setup");
  assert.equal((await fetch(`${server.url}/`, { redirect: "manual" })).headers.get("location"), "/setup");
  assert.equal((await fetch(`${server.url}/setup`)).status, 200);
  const form = { login: "root", name: "Root", password: "an-early-passphrase-77" };
  assert.equal((await call(server.url, "auth.setup", "mutation", form)).status, 401, "no token");
  assert.equal((await call(server.url, "auth.setup", "mutation", { ...form, token: "guess" })).status, 401);
  const done = await call(server.url, "auth.setup", "mutation", { ...form, token });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  const cookie = (done.headers["set-cookie"] ?? "").split(";")[0];
  assert.equal((await call(server.url, "user.list", "query", undefined, { cookie })).body.result.data[0].role, "admin");
  const twice = await call(server.url, "auth.setup", "mutation", { ...form, login: "second", token });
  assert.equal(twice.status, 403, "the token works once, and only while no user exists");
});

test("local mode: loopback with no user works without sign-in, says so, and ends when a user is created", async (t) => {
  const server = await startServer(tempDataDir("auth-local"));
  t.after(() => server.stop());
  assert.deepEqual((await call(server.url, "auth.me", "query")).body.result.data, { mode: "local", user: null, role: "admin", via: "local" });
  assert.equal((await call(server.url, "run.list", "query")).status, 200);
  assert.equal((await call(server.url, "alert.mute", "mutation", MUTE)).status, 200);
  assert.equal((await call(server.url, "webhook.create", "mutation", { runId: null, url: "https://example.com/h", format: "json", minSeverity: "info" })).status, 200);
  (await socketWith(server.url)).close();
  const page = await fetch(`${server.url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Local mode — no sign-in; anyone on this machine can use the dashboard/);
  const port = new URL(server.url).port;
  assert.equal((await rawGet(server.url, "/", { host: `evil.example:${port}` })).status, 421, "the Host allow-list holds in local mode too");
  assert.equal((await call(server.url, "alert.mute", "mutation", MUTE, { origin: "http://evil.example" })).status, 403);

  const first = await call(server.url, "user.create", "mutation", { login: "owner", name: "Owner", password: "viewer-first-pass-1", role: "viewer" });
  assert.equal(first.status, 400);
  assert.match(first.body.error.message, /first user must be an admin/);
  assert.equal((await call(server.url, "user.create", "mutation", { login: "owner", name: "Owner", password: "first-admin-pass-12", role: "admin" })).status, 200);
  assert.equal((await call(server.url, "run.list", "query")).status, 401, "sign-in is on, loopback included");
  assert.equal((await call(server.url, "auth.me", "query")).body.result.data.mode, "on");
  await assert.rejects(socketWith(server.url));
  assert.doesNotMatch(await (await fetch(`${server.url}/login`)).text(), /Local mode/);
});

test("PUBLIC_URL: its host is served, its origin may write, and https makes the cookie Secure", async (t) => {
  const server = await startServer(tempDataDir("auth-public"), { ...ADMIN_ENV, PUBLIC_URL: "https://dash.example.com", ALLOWED_HOSTS: "gpu-box" });
  t.after(() => server.stop());
  const login = await call(server.url, "auth.login", "mutation", ADMIN, { origin: "https://dash.example.com" });
  assert.equal(login.status, 200);
  assert.match(login.headers["set-cookie"], /; Secure/);
  const cookie = login.headers["set-cookie"].split(";")[0];
  for (const host of ["dash.example.com", "gpu-box:8080"]) {
    assert.equal((await rawGet(server.url, "/api/trpc/run.list", { host, cookie })).status, 200, host);
  }
  assert.equal((await rawGet(server.url, "/api/trpc/run.list", { host: "dash.example.com.evil.example", cookie })).status, 421);
  assert.equal((await call(server.url, "alert.mute", "mutation", MUTE, { cookie, origin: "http://dash.example.com" })).status, 403, "the http origin is not the https one");
});
