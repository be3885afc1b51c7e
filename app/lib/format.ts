export function fmtNumber(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return "—";
  if (!Number.isFinite(x)) return "NaN";
  return x.toFixed(digits);
}

export function fmtInt(x: number | null | undefined): string {
  return x === null || x === undefined ? "—" : Math.round(x).toLocaleString("en-US");
}

export function fmtTime(d: Date | string | null | undefined): string {
  if (!d) return "—";
  const date = new Date(d);
  return date.toLocaleString("en-GB", { dateStyle: "short", timeStyle: "medium" });
}

export function fmtBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** Time of day for today's events, the date for older ones. */
export function fmtWhen(d: Date | string): string {
  const date = new Date(d);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString("en-GB") : date.toLocaleDateString("en-GB");
}
