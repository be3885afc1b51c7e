export const RESTART_BACKOFF_MS = 1000;
const RESTART_BACKOFF_MAX_MS = 30_000;
/** A trainer that lived this long, or trained past where it started, was healthy: its crash restarts at the short delay. */
const HEALTHY_MS = 5 * 60_000;

/** When to restart a crashed run, so that a trainer that dies at once does not spin. */
export class RestartBackoff {
  /** When and at which step each run's current trainer was started, and its crashes in a row without progress. */
  private launches = new Map<string, { at: number; step: number; quickCrashes: number }>();

  constructor(private restart: (runId: string) => Promise<unknown>) {}

  noteLaunch(runId: string, step: number) {
    const quickCrashes = this.launches.get(runId)?.quickCrashes ?? 0;
    this.launches.set(runId, { at: Date.now(), step, quickCrashes });
  }

  /**
   * The delay before restarting a crashed run: doubling for a trainer that dies again and again
   * without progress, back to the short one after a healthy stretch.
   */
  restartDelay(runId: string, step: number): number {
    const launch = this.launches.get(runId) ?? { at: Date.now(), step, quickCrashes: 0 };
    const healthy = step > launch.step || Date.now() - launch.at > HEALTHY_MS;
    const quickCrashes = healthy ? 0 : launch.quickCrashes + 1;
    this.launches.set(runId, { ...launch, quickCrashes });
    return Math.min(RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_MS * 2 ** Math.max(0, quickCrashes - 1));
  }

  scheduleRestart(runId: string, delayMs: number) {
    setTimeout(() => this.restart(runId).catch((e) => console.error(`restarting run ${runId} failed:`, e)), delayMs).unref();
  }
}
