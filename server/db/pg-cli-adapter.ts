import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";

/**
 * PostgreSQL system types that @prisma/adapter-pg 6.19 cannot map, by OID, with the type to report
 * instead. The schema engine (migrate deploy, db push, diffs against a database) reads catalog
 * columns of these types and stops with "Column type 'name' could not be deserialized"
 * (prisma/orm#27403); their text form is what it wants. Our own queries never return them.
 */
const AS_TEXT: Record<number, number> = {
  18: 25, // "char" → text
  19: 25, // name → text
  1003: 1009, // name[] → text[]
};

type Fields = { fields?: { dataTypeID: number }[] };

function reportAsText<R>(result: R): R {
  for (const r of Array.isArray(result) ? result : [result]) {
    for (const f of (r as Fields | undefined)?.fields ?? []) f.dataTypeID = AS_TEXT[f.dataTypeID] ?? f.dataTypeID;
  }
  return result;
}

class CatalogClient extends pg.Client {
  // pg's overloads take a callback or return a promise; both paths pass through reportAsText.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const at = args.findIndex((a) => typeof a === "function");
    if (at >= 0) {
      const done = args[at] as (e: unknown, r: unknown) => void;
      args[at] = (e: unknown, r: unknown) => done(e, e ? r : reportAsText(r));
      return (super.query as (...a: unknown[]) => unknown)(...args);
    }
    const out = (super.query as (...a: unknown[]) => unknown)(...args) as Promise<unknown> | undefined;
    return out && typeof out.then === "function" ? out.then(reportAsText) : out;
  }
}

/**
 * The adapter prisma.config.ts gives the CLI for PostgreSQL: one that can read the catalogs. One
 * connection, so the engine's session-level advisory lock is taken and released on the same one;
 * allowExitOnIdle, since the CLI never closes the pool and would otherwise linger for its idle timeout.
 */
export const cliPgAdapter = (url: string) =>
  new PrismaPg(new pg.Pool({ connectionString: url, max: 1, allowExitOnIdle: true, idleTimeoutMillis: 200, Client: CatalogClient }), { disposeExternalPool: true });

/**
 * The WebAssembly schema engine races PostgreSQL's migration lock against a 10 s timer and leaves
 * the timer armed once it has the lock, so every CLI run would linger 10 s after its work. Timers
 * the engine arms are unref'd: they still fire while its queries (sockets, which keep the process
 * alive) are pending, but no longer hold the process open by themselves. Called from
 * prisma.config.ts, so it only touches the CLI's process.
 */
export function letEngineTimersExit() {
  const arm = globalThis.setTimeout;
  const patched = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = arm(fn, ms, ...args);
    if (new Error().stack?.includes("wasm://")) timer.unref();
    return timer;
  }) as typeof setTimeout;
  // Keeps setTimeout's own properties, such as the one util.promisify reads.
  Object.defineProperties(patched, Object.getOwnPropertyDescriptors(arm));
  globalThis.setTimeout = patched;
}
