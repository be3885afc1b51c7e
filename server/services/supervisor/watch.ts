import { classifyExit, classifyFailure } from "../../../lib/anomaly/liveness";
import { RunMonitor } from "../../../lib/anomaly/monitor";
import { SEVERITY_OF, type Anomaly } from "../../../lib/anomaly/types";
import type { Heartbeat, MetricPoint, RecoveryEvent, TrainerDone } from "../../../lib/protocol";
import { RunConfig } from "../../../lib/run-config";
import type { AlertService } from "../alerts/alerts";
import type { RunSummary } from "../hub/run-summary";
import type { TrainerExit } from "../runs/trainer-log";

const STALL_CHECK_MS = 500;
/** Starting a trainer (imports, the wasm backend) can take a while on a busy machine; a hang at start is still caught. */
const STARTUP_GRACE_S = 120;

interface Watched {
  monitor: RunMonitor;
  config: RunConfig;
  phase: Heartbeat["phase"];
  step: number;
  rssBytes?: number;
  limitBytes?: number;
  /** Stop was asked: a slow shutdown is not a stall. */
  stopping: boolean;
  launchedAt: number;
  /** The trainer has sent a heartbeat; until then only the startup grace applies. */
  alive: boolean;
  /** Points that came while the stored history was being loaded; null once it was fed in. */
  waiting: MetricPoint[][] | null;
  seeding: boolean;
}

/** The run's stored metrics before a step (oldest first), the last perKey of each key. */
export type HistoryLoader = (runId: string, beforeStep: number, perKey: number) => Promise<MetricPoint[]>;


/**
 * Runs the anomaly detectors on everything a run's trainer sends (metrics, heartbeats, its exit),
 * whichever machine the trainer runs on, and raises what they find. Stalls are checked on a timer.
 */
export class Watch {
  private runs = new Map<string, Watched>();
  private timer: NodeJS.Timeout;

  constructor(
    private alerts: AlertService,
    private history: HistoryLoader | null = null,
  ) {
    this.timer = setInterval(() => this.checkStalls(), STALL_CHECK_MS);
    this.timer.unref();
  }

  /** A trainer was started for the run: liveness is watched from now. */
  started(runId: string, config: RunConfig) {
    const w: Watched = {
      monitor: new RunMonitor(config.anomaly), config, phase: "setup", step: 0, stopping: false, launchedAt: Date.now(), alive: false,
      waiting: this.history ? [] : null, seeding: false,
    };
    this.runs.set(runId, w);
  }

  /**
   * A resumed run's detectors start from its stored history, not empty. Only points before the new
   * trainer's first step are fed: the steps it replays after its checkpoint are watched as new,
   * and seeing them twice would look like a jump back up the loss curve.
   */
  private async seed(runId: string, w: Watched, load: HistoryLoader, beforeStep: number) {
    w.seeding = true;
    const perKey = w.monitor.thresholds.window + w.monitor.thresholds.warmup;
    const stored = await load(runId, beforeStep, perKey).catch((e) => {
      console.error(`loading run ${runId}'s metrics for its detectors failed; they start empty:`, e);
      return [];
    });
    const waiting = w.waiting ?? [];
    w.waiting = null;
    w.monitor.seed(stored);
    for (const points of waiting) this.metrics(runId, points);
  }

  /**
   * An outside run (MLflow client, TensorBoard folder) is watched like ours, on the same keys; it
   * sends no heartbeats, so a stall is the time since it last logged a new step.
   */
  startedOutside(runId: string, anomaly: { stallSeconds: number }, lastLogAt = Date.now()) {
    if (this.runs.has(runId)) return;
    const config = RunConfig.parse({ name: "outside", anomaly });
    const w: Watched = {
      monitor: new RunMonitor(config.anomaly, "nothing logged"), config, phase: "train", step: 0, stopping: false, launchedAt: lastLogAt, alive: true,
      waiting: this.history ? [] : null, seeding: false,
    };
    w.monitor.beat(lastLogAt, 0, "train");
    this.runs.set(runId, w);
  }

  stopping(runId: string) {
    const w = this.runs.get(runId);
    if (w) w.stopping = true;
  }

  metrics(runId: string, points: MetricPoint[]) {
    const w = this.runs.get(runId);
    if (!w) return;
    if (w.waiting) {
      w.waiting.push(points);
      if (!w.seeding && this.history) void this.seed(runId, w, this.history, points.reduce((m, p) => Math.min(m, p.step), Infinity));
      return;
    }
    const step = points.reduce((m, p) => Math.max(m, p.step), w.step);
    if (step > w.step) w.monitor.beat(Date.now(), step, w.phase);
    w.step = step;
    this.raiseAll(runId, w.monitor.observe(points));
  }

  heartbeat(runId: string, beat: Heartbeat) {
    const w = this.runs.get(runId);
    if (!w) return;
    w.phase = beat.phase;
    w.alive = true;
    w.monitor.beat(Date.now(), Math.max(beat.step, w.step), beat.phase);
    if (beat.rssBytes === undefined || beat.memoryLimitBytes === undefined) return;
    w.rssBytes = beat.rssBytes;
    w.limitBytes = beat.memoryLimitBytes;
    const oom = w.monitor.memory(w.step, beat.rssBytes, beat.memoryLimitBytes);
    if (oom) this.raiseAll(runId, [oom]);
  }

  /** A rollback's steps are replayed: progress counts from the restored step again. */
  recovered(runId: string, event: RecoveryEvent) {
    const w = this.runs.get(runId);
    if (w && event.toStep !== undefined) w.step = event.toStep;
    this.raiseAll(runId, [{ ...event, severity: SEVERITY_OF[event.type], repeat: event.attempt }]);
  }

  /** The trainer exited on its own: raises crash (or oom) and says whether the restart policy restarts it. */
  async crashed(run: RunSummary, exit: TrainerExit): Promise<boolean> {
    const w = this.runs.get(run.id);
    this.runs.delete(run.id);
    const anomaly = classifyExit({
      // The step it died on: one past the last it logged (a step's points are logged at its 0-based index).
      ...exit, step: w && w.step > 0 ? w.step + 1 : run.step, lastRssBytes: w?.rssBytes, limitBytes: w?.limitBytes, memoryShare: run.config.anomaly.memoryShare,
    });
    const { restartOnCrash, maxRestarts } = run.config;
    const restart = restartOnCrash && run.restarts < maxRestarts;
    const policy = !restartOnCrash ? "" : restart ? ` Restarting from the last checkpoint (${run.restarts + 1} of ${maxRestarts}).` : ` No restarts left (${maxRestarts} used).`;
    await this.alerts.raise(run.id, { ...anomaly, message: anomaly.message + policy });
    if (restart)
      await this.alerts.raise(run.id, {
        type: "restart", severity: "info", step: anomaly.step, value: run.restarts + 1, threshold: maxRestarts,
        message: `Restart ${run.restarts + 1} of ${maxRestarts} after ${anomaly.type === "oom" ? "running out of memory" : "a crash"}`,
      });
    return restart;
  }

  /** The trainer said it failed: one that ran out of memory raises oom; other failures carry their reason on the run. */
  async failed(runId: string, done: TrainerDone) {
    if (done.status !== "failed") return;
    const oom = classifyFailure({ step: done.step, error: done.error });
    if (oom) await this.alerts.raise(runId, oom);
  }

  /** The trainer is gone (any way): nothing left to watch. */
  ended(runId: string) {
    this.runs.delete(runId);
  }

  close() {
    clearInterval(this.timer);
  }

  private checkStalls() {
    const now = Date.now();
    for (const [runId, w] of this.runs) {
      if (w.stopping) continue;
      const stall = w.alive ? w.monitor.checkStall(now) : this.silentSinceLaunch(w, now);
      if (stall) this.raiseAll(runId, [stall]);
    }
  }

  private silentSinceLaunch(w: Watched, now: number): Anomaly | null {
    const graceS = Math.max(STARTUP_GRACE_S, w.config.anomaly.stallSeconds);
    const silentS = (now - w.launchedAt) / 1000;
    if (silentS <= graceS) return null;
    w.alive = true; // once: from here on the monitor's own clock runs
    w.monitor.beat(now, w.step, "setup");
    return {
      type: "stall", severity: "critical", step: w.step, value: Math.round(silentS), threshold: graceS,
      message: `the trainer has not sent a heartbeat in the ${Math.round(silentS)} s since it was started (threshold ${graceS} s)`,
    };
  }

  private raiseAll(runId: string, anomalies: Parameters<AlertService["raise"]>[1][]) {
    for (const a of anomalies) this.alerts.raise(runId, a).catch((e) => console.error(`storing a ${a.type} alert failed:`, e));
  }
}
