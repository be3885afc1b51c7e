import { RunMonitor } from "../../lib/anomaly/monitor";
import type { Anomaly } from "../../lib/anomaly/types";
import type { RunConfig } from "../../lib/run-config";

/** The anomalies a recovery policy acts on; the rest only raise alerts (on the server). */
const TRIGGERS = new Set(["loss_spike", "nan"]);

export type Verdict =
  | { action: "apply" }
  | { action: "skip"; anomaly: Anomaly }
  | { action: "rollback"; anomaly: Anomaly; attempt: number }
  | { action: "give-up"; anomaly: Anomaly; attempts: number };

/**
 * Decides, from a step's loss and gradient norm and before its update is applied, what the run's
 * recovery policy does. It runs the same detectors as the server's alerts, on every step.
 */
export class Recovery {
  private readonly monitor: RunMonitor;
  private rollbacks = 0;
  private lrScaledUntil = -1;

  constructor(private readonly config: RunConfig) {
    this.monitor = new RunMonitor(config.anomaly);
  }

  check(step: number, loss: number, gradNorm: number): Verdict {
    if (this.config.recovery === "none") return { action: "apply" };
    const wallTime = Date.now() / 1000;
    const anomaly = this.monitor
      .observe([
        { step, key: "loss", value: Number.isFinite(loss) ? loss : null, wallTime },
        { step, key: "grad_norm", value: Number.isFinite(gradNorm) ? gradNorm : null, wallTime },
      ])
      .find((a) => TRIGGERS.has(a.type));
    if (!anomaly) return { action: "apply" };
    if (this.config.recovery === "skip-step") return { action: "skip", anomaly };
    if (this.rollbacks >= this.config.maxRollbacks) return { action: "give-up", anomaly, attempts: this.rollbacks };
    this.rollbacks += 1;
    return { action: "rollback", anomaly, attempt: this.rollbacks };
  }

  /** Called once training is back at `toStep`: the lr is scaled for the next rollbackLrSteps steps. */
  rolledBack(toStep: number) {
    this.lrScaledUntil = toStep + this.config.rollbackLrSteps;
  }

  lrFactor(step: number): number {
    return step < this.lrScaledUntil ? this.config.rollbackLrScale : 1;
  }
}
