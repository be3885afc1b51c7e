import { Worker } from "node:worker_threads";

/**
 * A worker thread running `entry` with `workerData`. Node 20 does not pass the parent's
 * `--import tsx` on to workers, so a .ts entry (the trainer runs from source under tsx, in
 * `npm run train` and under the server's supervisor alike) is loaded through tsx's API by a
 * one-line ES module bootstrap; a compiled .js entry is started as it is.
 */
export function spawnWorker(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, { workerData });
  const api = import.meta.resolve("tsx/esm/api");
  const boot = `const { tsImport } = await import(${JSON.stringify(api)}); await tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(import.meta.url)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData });
}
