/** Short human numbers for the plan panel; every helper answers "—" for a missing or non-finite value. */
const ok = (x: number | null | undefined): x is number => typeof x === "number" && Number.isFinite(x);

function scaled(x: number, base: number, units: string[], digits: number): string {
  let i = 0;
  while (Math.abs(x) >= base && i < units.length - 1) { x /= base; i++; }
  return `${i ? x.toFixed(digits) : Math.round(x)}${units[i]}`;
}

/** 124.4 M, 1.50 T: counts of parameters and tokens. */
export function fmtCount(x: number | null | undefined): string {
  return ok(x) ? scaled(x, 1000, ["", " K", " M", " B", " T", " Q"], 1) : "—";
}

/** Decimal units (GB = 10⁹ B), as the ZeRO paper and GPU data sheets use. */
export function fmtBytesDecimal(x: number | null | undefined): string {
  return ok(x) ? scaled(x, 1000, [" B", " kB", " MB", " GB", " TB", " PB"], 1) : "—";
}

/** 6.30e22: FLOPs span too many orders for prefixes to read well. */
export function fmtSci(x: number | null | undefined, digits = 2): string {
  return ok(x) ? x.toExponential(digits).replace("e+", "e") : "—";
}

export function fmtDuration(seconds: number | null | undefined): string {
  if (!ok(seconds)) return "—";
  if (seconds < 1) return "< 1 s";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  if (seconds < 2 * 365 * 86400) return `${(seconds / 86400).toFixed(1)} days`;
  return `${(seconds / (365.25 * 86400)).toFixed(1)} years`;
}
