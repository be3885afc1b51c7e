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
