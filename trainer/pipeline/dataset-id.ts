import crypto from "node:crypto";
import type { DatasetSpec } from "../../lib/dataset-spec";
import { DATASET_FORMAT_VERSION } from "./manifest";
import { sourceFingerprint } from "./sources";

/** The cache key of a dataset: its settings and its inputs' fingerprints, not its display name. */
export function datasetId(spec: DatasetSpec): string {
  const { name: _name, ...settings } = spec;
  const inputs = spec.sources.map((s) => sourceFingerprint(s));
  const key = JSON.stringify({ formatVersion: DATASET_FORMAT_VERSION, settings, inputs });
  return `ds-${crypto.createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
}
