"use client";
import { PALETTE } from "../charts/bar-chart";
import { RunChart, supersededLines, type LineSpec, type SupersededMap } from "../charts/chart-run";
import { ChartSection } from "../charts/chart-section";
import type { XMap } from "../charts/chart-x";
import type { Marker } from "../charts/metric-chart";
import { EvalCharts, evalKeys } from "./eval-panels";

/** One line per key under a prefix (e.g. data/share/<domain>), labelled by what follows it. */
const byDomain = (keys: readonly string[], prefix: string): LineSpec[] =>
  keys.filter((k) => k.startsWith(prefix)).sort().map((k, i) => ({ key: k, label: k.slice(prefix.length), color: PALETTE[i % PALETTE.length] }));

/** Every chart id the run page can show, for the log-scale setting. */
export function runChartIds(keys: readonly string[]): string[] {
  return ["loss", "lr", "grad_norm", "z_loss", "batch_size", "val_loss", "val_ppl", "val_bpb", "tokens_per_sec", "model_gflops", "data/share", "data/epochs", ...evalKeys(keys).map((e) => e.key)];
}

/** The run page's charts, in sections: training, validation, evaluation and system. */
export function RunChartSections({ runId, keys, xMap, markers, superseded, synthetic }: {
  runId: string; keys: string[]; xMap: XMap; markers: Marker[]; superseded: SupersededMap; synthetic: Set<string>;
}) {
  const has = (k: string) => keys.includes(k);
  const chart = { runId, xMap, markers };
  const undone = (key: string, color: string) => supersededLines(superseded, key, color, xMap);
  const shares = byDomain(keys, "data/share/");
  const epochs = byDomain(keys, "data/epochs/");
  return (
    <div className="space-y-5">
      <ChartSection name="training" title="Training">
        <RunChart {...chart} id="loss" title="loss" superseded={undone("loss", "#818cf8")} specs={[
          { key: "loss", label: "train loss", color: "#818cf8" },
          { key: "val_loss", label: "val loss", color: "#f472b6", dots: true },
        ]} />
        <RunChart {...chart} id="lr" title="learning rate" superseded={undone("lr", "#34d399")} specs={[{ key: "lr", label: "lr", color: "#34d399" }]} />
        <RunChart {...chart} id="grad_norm" title="grad norm" superseded={undone("grad_norm", "#fbbf24")}
          specs={[{ key: "grad_norm", label: "grad norm (pre-clip)", color: "#fbbf24" }]} />
        {has("z_loss") && <RunChart {...chart} id="z_loss" title="z-loss term" superseded={undone("z_loss", "#f97316")}
          specs={[{ key: "z_loss", label: "zLoss · mean(log Z²), not in loss", color: "#f97316" }]} />}
        {has("batch_size") && <RunChart {...chart} id="batch_size" title="batch size" unit="rows" specs={[{ key: "batch_size", label: "batch size", color: "#a78bfa" }]} />}
      </ChartSection>
      {(has("val_loss") || has("val_ppl")) && (
        <ChartSection name="validation" title="Validation">
          <RunChart {...chart} id="val_loss" title="val loss" specs={[{ key: "val_loss", label: "val loss", color: "#f472b6", dots: true }]} />
          {has("val_ppl") && <RunChart {...chart} id="val_ppl" title="val perplexity" specs={[{ key: "val_ppl", label: "val perplexity", color: "#fb7185", dots: true }]} />}
          {has("val_bpb") && <RunChart {...chart} id="val_bpb" title="bits per byte (compares across tokenizers)" unit="bits/byte" specs={[
            { key: "val_bpb", label: "val", color: "#f472b6", dots: true }, { key: "bpb", label: "train", color: "#818cf8" },
          ]} />}
        </ChartSection>
      )}
      {evalKeys(keys).length > 0 && (
        <ChartSection name="evaluation" title="Evaluation">
          <EvalCharts runId={runId} keys={keys} synthetic={synthetic} markers={markers} xMap={xMap} />
        </ChartSection>
      )}
      <ChartSection name="system" title="System">
        <RunChart {...chart} id="tokens_per_sec" title="tokens/s" unit="tok/s" specs={[{ key: "tokens_per_sec", label: "tokens/s", color: "#38bdf8" }]} />
        {has("model_gflops") && (
          <RunChart {...chart} id="model_gflops" title="model GFLOP/s (6N + 12·L·d·T per token)" unit="GFLOP/s" specs={[{ key: "model_gflops", label: "model GFLOP/s", color: "#a78bfa" }]} />
        )}
        {shares.length > 0 && <RunChart {...chart} id="data/share" title="domain share of sequences (measured)" specs={shares} />}
        {epochs.length > 0 && <RunChart {...chart} id="data/epochs" title="epochs per domain" specs={epochs} />}
      </ChartSection>
    </div>
  );
}
