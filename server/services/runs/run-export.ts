import { encodeEvent } from "../../../lib/tfevents/events";
import { encodeRecord } from "../../../lib/tfevents/tfrecord";
import { FILE_VERSION } from "../../../lib/tfevents/writer";
import type { Db } from "../../db/db";

export interface StoredPoint {
  key: string;
  step: number;
  value: number | null;
  wallTime: number;
}

const PAGE = 5000;

/**
 * A run's points in (key, step) order, PAGE at a time through the (run, key, step) primary key,
 * each page starting after the last one's final row, so memory stays bounded at any run length.
 */
export async function* metricPages(db: Db, runId: string, pageSize = PAGE): AsyncGenerator<StoredPoint[]> {
  let after: { key: string; step: number } | null = null;
  for (;;) {
    const page: StoredPoint[] = await db.metric.findMany({
      where: { runId, ...(after ? { OR: [{ key: { gt: after.key } }, { key: after.key, step: { gt: after.step } }] } : {}) },
      orderBy: [{ key: "asc" }, { step: "asc" }],
      select: { key: true, step: true, value: true, wallTime: true },
      take: pageSize,
    });
    if (page.length === 0) return;
    yield page;
    if (page.length < pageSize) return;
    const last = page[page.length - 1];
    after = { key: last.key, step: last.step };
  }
}

export const CSV_HEADER = "step,key,value,wall_time\n";

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One CSV line per point. The store keeps NaN and ±Infinity as null without telling them apart,
 * so such a value is an empty field.
 */
export function csvLines(points: StoredPoint[], nameOf: (key: string) => string): string {
  let out = "";
  for (const p of points) out += `${p.step},${csvField(nameOf(p.key))},${p.value === null ? "" : p.value},${p.wallTime}\n`;
  return out;
}

/** The file_version event that opens an event file. */
export function tfeventsHeader(wallTime: number): Buffer {
  return encodeRecord(encodeEvent({ wallTime, step: 0n, fileVersion: FILE_VERSION }));
}

/** One event per point (as PyTorch's add_scalar writes them), a stored null as NaN. */
export function tfeventsRecords(points: StoredPoint[], nameOf: (key: string) => string): Buffer {
  return Buffer.concat(
    points.map((p) => encodeRecord(encodeEvent({ wallTime: p.wallTime, step: BigInt(p.step), summary: [{ tag: nameOf(p.key), simpleValue: p.value ?? NaN }] }))),
  );
}
