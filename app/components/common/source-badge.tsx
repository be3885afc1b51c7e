const NAMES: Record<string, string> = { mlflow: "MLflow", tensorboard: "TensorBoard" };

/** Where an outside run's steps come from; nothing for the dashboard's own runs. */
export function SourceBadge({ source, className = "" }: { source: string; className?: string }) {
  if (source === "trainer") return null;
  return (
    <span data-testid="source-badge" title={`Logged by a trainer of its own, through ${NAMES[source] ?? source}`}
      className={`inline-flex shrink-0 items-center rounded px-1.5 py-px text-[10px] font-semibold uppercase tracking-wide ring-1 ring-inset ${source === "mlflow" ? "bg-sky-500/10 text-sky-300 ring-sky-500/30" : "bg-orange-500/10 text-orange-300 ring-orange-500/30"} ${className}`}>
      {NAMES[source] ?? source}
    </span>
  );
}
