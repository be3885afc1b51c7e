import crypto from "node:crypto";
import fs from "node:fs";
import { pipeline } from "node:stream/promises";
import { TRPCError } from "@trpc/server";

/** The file's sha256, read as a stream so a large checkpoint never sits in memory whole. */
export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash("sha256");
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest("hex");
}

/**
 * Refuses a recorded checkpoint whose file no longer matches the sha256 the database holds for it,
 * so export and generate never hand out damaged or swapped weights.
 */
export async function assertIntact(row: { step: number; path: string; sha256: string }) {
  const actual = await sha256File(row.path);
  if (actual !== row.sha256)
    throw new TRPCError({
      code: "PRECONDITION_FAILED",
      message: `The checkpoint at step ${row.step} is corrupt: its file's sha256 ${actual.slice(0, 12)}… is not the recorded ${row.sha256.slice(0, 12)}…`,
    });
}
