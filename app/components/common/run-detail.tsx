/** A label and its value in a run page's definition list. */
export function Row({ label, value }: { label: string; value: string }) {
  return (<><dt className="text-slate-400">{label}</dt><dd className="font-mono tabular-nums text-slate-200 [overflow-wrap:anywhere]">{value}</dd></>);
}

/** A run's warning (amber) or error (rose), announced to screen readers. */
export function Notice({ tone, text }: { tone: "amber" | "rose"; text: string }) {
  const cls = tone === "amber" ? "border-amber-500/40 bg-amber-500/10 text-amber-200" : "border-rose-500/40 bg-rose-500/10 text-rose-200";
  return <p role="alert" className={`rounded-md border px-3 py-2 text-sm ${cls}`}>{text}</p>;
}
