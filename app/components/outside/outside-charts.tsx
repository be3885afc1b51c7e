"use client";
import { ROLES } from "../../../lib/outside-metrics";
import { PALETTE } from "../charts/bar-chart";
import { RunChart } from "../charts/chart-run";
import { ChartSection } from "../charts/chart-section";
import type { XMap } from "../charts/chart-x";
import type { Marker } from "../charts/metric-chart";

const ROLE_KEYS: readonly string[] = ROLES;
/** Names of series logged now and then (evaluations), drawn as dots: a lone point of a line would not show. */
const SPARSE = /(^|[/_.\s-])(val|valid|validation|eval|test)([/_.\s-]|$)/i;

/** The other metrics by the first part of their original name: "train/mfu" under "train", "mfu(%)" on its own. */
export function groupOthers(names: Record<string, string>): { group: string; keys: string[] }[] {
  const groups = new Map<string, string[]>();
  const others = Object.keys(names).filter((k) => !ROLE_KEYS.includes(k)).sort((a, b) => names[a].localeCompare(names[b]));
  for (const k of others) {
    const slash = names[k].indexOf("/");
    const group = slash > 0 ? names[k].slice(0, slash) : "";
    groups.set(group, [...(groups.get(group) ?? []), k]);
  }
  return [...groups].map(([group, keys]) => ({ group, keys })).sort((a, b) => (a.group === "" ? -1 : b.group === "" ? 1 : a.group.localeCompare(b.group)));
}

/** Every chart id the outside run page can show, for the log-scale setting. */
export function outsideChartIds(names: Record<string, string>): string[] {
  return [...ROLES, ...Object.keys(names).filter((k) => !ROLE_KEYS.includes(k))];
}

/**
 * An outside run's charts: the standard ones through the role keys, labelled with the trainer's
 * own names, then one chart per other metric, titled by its original name.
 */
export function OutsideChartSections({ runId, names, xMap, markers }: { runId: string; names: Record<string, string>; xMap: XMap; markers: Marker[] }) {
  const has = (k: string) => Object.hasOwn(names, k);
  const label = (k: string, fallback: string) => names[k] ?? fallback;
  const chart = { runId, xMap, markers };
  const groups = groupOthers(names);
  const subtitle = (...keys: string[]) => keys.filter(has).map((k) => names[k]).join(" · ") || undefined;
  return (
    <div className="space-y-5">
      <ChartSection name="training" title="Training">
        <RunChart {...chart} id="loss" title="loss" subtitle={subtitle("loss", "val_loss") ?? "no metric in this role"} specs={[
          { key: "loss", label: label("loss", "train loss"), color: "#818cf8" },
          ...(has("val_loss") ? [{ key: "val_loss", label: names.val_loss, color: "#f472b6", dots: true }] : []),
        ]} />
        {has("lr") && <RunChart {...chart} id="lr" title="learning rate" subtitle={names.lr} specs={[{ key: "lr", label: names.lr, color: "#34d399" }]} />}
        {has("grad_norm") && <RunChart {...chart} id="grad_norm" title="grad norm" subtitle={names.grad_norm} specs={[{ key: "grad_norm", label: names.grad_norm, color: "#fbbf24" }]} />}
      </ChartSection>
      {has("val_loss") && (
        <ChartSection name="validation" title="Validation">
          <RunChart {...chart} id="val_loss" title="val loss" subtitle={names.val_loss} specs={[{ key: "val_loss", label: names.val_loss, color: "#f472b6", dots: true }]} />
        </ChartSection>
      )}
      {has("tokens_per_sec") && (
        <ChartSection name="system" title="System">
          <RunChart {...chart} id="tokens_per_sec" title="tokens/s" subtitle={names.tokens_per_sec} unit="tok/s"
            specs={[{ key: "tokens_per_sec", label: names.tokens_per_sec, color: "#38bdf8" }]} />
        </ChartSection>
      )}
      {groups.length > 0 && (
        <ChartSection name="other" title="Other metrics">
          {groups.flatMap(({ group, keys }, g) => [
            ...(group && groups.length > 1 ? [<h3 key={`group-${group}`} className="font-mono text-xs text-slate-500 md:col-span-2" data-testid="other-group">{group}/</h3>] : []),
            ...keys.map((k, i) => (
              <RunChart key={k} {...chart} id={k} title={names[k]} specs={[{ key: k, label: names[k], color: PALETTE[(g * 3 + i) % PALETTE.length], dots: SPARSE.test(names[k]) }]} />
            )),
          ])}
        </ChartSection>
      )}
    </div>
  );
}
