"use client";
import { useChartPage } from "./chart-context";

/** A titled group of charts that folds away; which are folded is kept in the page's URL. */
export function ChartSection({ name, title, children }: { name: string; title: string; children: React.ReactNode }) {
  const { settings, change } = useChartPage();
  const collapsed = settings.collapsed.includes(name);
  const toggle = () => change({ collapsed: collapsed ? settings.collapsed.filter((c) => c !== name) : [...settings.collapsed, name] });
  return (
    <section data-testid={`chart-section-${name}`} data-collapsed={String(collapsed)}>
      <button type="button" onClick={toggle} aria-expanded={!collapsed} data-testid={`chart-section-toggle-${name}`}
        className="mb-2 flex w-full items-center gap-2 border-b border-slate-800 pb-1 text-left text-sm font-semibold text-slate-300 hover:text-slate-100">
        <span className={`inline-block w-3 text-slate-500 transition-transform ${collapsed ? "" : "rotate-90"}`}>▸</span>
        {title}
      </button>
      {!collapsed && <div className="grid grid-cols-1 gap-4 md:grid-cols-2">{children}</div>}
    </section>
  );
}
