import { encodeEvent, type ScalarPoint } from "./events";
import { encodeRecord } from "./tfrecord";

export const FILE_VERSION = "brain.Event:2";

/**
 * A complete event file for a run's scalars: the file_version event, then one event per step
 * (ascending) holding that step's values as simple_value, stamped with the step's latest wall
 * time. simple_value is a float32, so doubles lose precision past ~7 significant digits.
 * `fileTime` (seconds) stamps the first event; it defaults to the earliest point's wall time.
 */
export function encodeEventFile(points: ScalarPoint[], fileTime?: number): Buffer {
  const bySteps = new Map<number, ScalarPoint[]>();
  for (const p of points) {
    if (!Number.isSafeInteger(p.step)) throw new RangeError(`step ${p.step} is not a safe integer`);
    if (!Number.isFinite(p.wallTime)) throw new RangeError(`wall time ${p.wallTime} is not finite`);
    const group = bySteps.get(p.step);
    if (group) group.push(p);
    else bySteps.set(p.step, [p]);
  }
  const start = fileTime ?? points.reduce((m, p) => Math.min(m, p.wallTime), points.length ? Infinity : 0);
  const records = [encodeRecord(encodeEvent({ wallTime: start, step: 0n, fileVersion: FILE_VERSION }))];
  for (const step of [...bySteps.keys()].sort((a, b) => a - b)) {
    const group = bySteps.get(step)!;
    const wallTime = group.reduce((m, p) => Math.max(m, p.wallTime), -Infinity);
    const summary = group.map((p) => ({ tag: p.tag, simpleValue: p.value }));
    records.push(encodeRecord(encodeEvent({ wallTime, step: BigInt(step), summary })));
  }
  return Buffer.concat(records);
}

/** TensorBoard only picks up files whose names contain "tfevents". */
export function eventFileName(host: string, time: Date): string {
  const secs = Math.floor(time.getTime() / 1000);
  const safeHost = host.replace(/[^A-Za-z0-9._-]/g, "_") || "localhost";
  return `events.out.tfevents.${secs}.${safeHost}`;
}
