import assert from "node:assert/strict";
import { test } from "node:test";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { PlanPanel } from "../../app/components/run-form/plan-panel";

const render = (config: Record<string, unknown>, vocabSize = 300, measuredTokensPerSec: number | null = null) =>
  renderToStaticMarkup(createElement(PlanPanel, { config, vocabSize, measuredTokensPerSec }));
const value = (html: string, name: string) => html.match(new RegExp(`data-testid="plan-${name}"[^>]*>([^<]*)<`))?.[1];

// The form's raw strings for a tiny gpt2: 300·16 + 8·16 + 2·(12·16² + 13·16) + 2·16 = 11,520 parameters.
const tiny = { arch: "gpt2", nLayer: "2", nHead: "2", dModel: "16", contextLength: "8", batchSize: "4", steps: "100", microBatchSize: "0" };

test("plan panel renders the estimates of form strings, with the measured throughput", () => {
  const html = render(tiny, 300, 320);
  assert.match(html, /data-testid="plan-panel"/);
  assert.equal(value(html, "params"), "11,520 (11.5 K)");
  assert.equal(value(html, "total-flops"), (6 * 11_520 * 3_200).toExponential(2).replace("e+", "e"));
  assert.equal(value(html, "tokens-per-param"), `${(3_200 / 11_520).toFixed(1)} · under-trained`);
  assert.equal(value(html, "time-local"), "10 s at 320 tok/s"); // 4·8·100 tokens at 320 tok/s
  for (const name of ["flops-per-token", "chinchilla-loss", "memory-total", "time-scale"]) assert.notEqual(value(html, name), "—", name);
  assert.match(html, /MassiveText/);
});

test("plan panel shows — for partial or invalid input, and names the fields to fix", () => {
  for (const config of [{ ...tiny, dModel: "" }, { ...tiny, nLayer: "two" }, { ...tiny, steps: "-5" }]) {
    const html = render(config);
    for (const name of ["params", "flops-per-token", "total-flops", "tokens-per-param", "chinchilla-loss", "memory-total", "time-local", "time-scale"])
      assert.equal(value(html, name), "—", `${name} for ${JSON.stringify(config)}`);
    assert.match(html, /data-testid="plan-invalid"/);
  }
  assert.match(render({ ...tiny, dModel: "" }), /Fix Width to see/);
  assert.equal(value(render(tiny, 0), "params"), "—");
  assert.equal(value(render(tiny, 300, null), "time-local"), "—", "no throughput yet");
});

test("plan panel withholds Chinchilla's loss far outside its fitted range and says why", () => {
  const html = render(tiny, 300, 320); // 11.5 K parameters on 3.2 K tokens
  assert.equal(value(html, "chinchilla-loss"), "outside the fit");
  assert.equal(value(html, "chinchilla-optimal-loss"), "outside the fit");
  const note = html.match(/data-testid="plan-chinchilla-outside"[^>]*>(.*?)<\/p>/)?.[1] ?? "";
  assert.match(note, /N = 11\.5 K is 6,076× below the smallest model fitted \(70 M\)/);
  assert.match(note, /D = 3\.2 K is 1,562,500× below the fewest tokens fitted \(5 B\)/);
  assert.match(note, /not a prediction/);
  // 1.3 B parameters on 26 B tokens: inside the fit, a plain number and no note.
  const big = render({ ...tiny, nLayer: "24", nHead: "16", dModel: "2048", contextLength: "2048", batchSize: "512", steps: "25000" }, 50_000);
  assert.match(value(big, "chinchilla-loss") ?? "", /^\d\.\d{3}$/);
  assert.doesNotMatch(big, /plan-chinchilla-outside/);
});
