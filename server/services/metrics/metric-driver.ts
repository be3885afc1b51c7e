import type { MetricDriver } from "./metric-driver-api";

export type { MetricDriver, PointRows } from "./metric-driver-api";

/** The engine of a database URL: file: is SQLite, postgres:// or postgresql:// is PostgreSQL. */
export function engineOf(url: string): "sqlite" | "postgresql" {
  if (url.startsWith("file:")) return "sqlite";
  if (/^postgres(ql)?:\/\//.test(url)) return "postgresql";
  throw new Error(`The metric writer cannot write to ${url.replace(/\/\/[^@/]*@/, "//…@")}: the database URL must start with file:, postgres:// or postgresql://`);
}

/** `readOnly`: a connection for queries only (the query thread's). */
export async function openDriver(url: string, opts: { readOnly?: boolean } = {}): Promise<MetricDriver> {
  if (engineOf(url) === "sqlite") return (await import("./metric-driver-sqlite")).openSqlite(url, opts.readOnly ?? false);
  return (await import("./metric-driver-pg")).openPg(url);
}
