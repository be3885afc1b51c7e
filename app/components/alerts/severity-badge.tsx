import type { Severity } from "../../../lib/anomaly/types";

/** Chart colours per severity, the same hues as the badges: info = sky, warning = amber, critical = rose. */
export const SEVERITY_COLOR: Record<Severity, string> = { info: "#38bdf8", warning: "#fbbf24", critical: "#fb7185" };

/** The left-edge colour of anything tinted by an alert's severity (toasts, timeline rows). */
export const SEVERITY_TONE: Record<Severity, string> = {
  info: "border-l-sky-400",
  warning: "border-l-amber-400",
  critical: "border-l-rose-400",
};

const STYLES: Record<Severity, string> = {
  info: "bg-sky-500/15 text-sky-300 ring-sky-500/40",
  warning: "bg-amber-500/15 text-amber-300 ring-amber-500/40",
  critical: "bg-rose-500/15 text-rose-300 ring-rose-500/40",
};

export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <span data-testid="severity" className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${STYLES[severity]}`}>
      {severity}
    </span>
  );
}
