import { memoryLimitBytes } from "../../host/memory-limit";
import { OUT_OF_MEMORY } from "../../lib/anomaly/liveness";
import { checkMemory, MEMORY_ADVICE, type MemoryBackend } from "../../lib/memory-check";
import type { RunConfig } from "../../lib/run-config";

/**
 * Checks the Plan's memory estimate against this process's limit and the backend's before any
 * tensor is allocated, so a run that cannot fit fails at once with the numbers rather than after
 * a minute of growing memory with "Aborted()". The run's ignoreMemoryCheck turns the refusal into
 * a warning.
 */
export function guardMemory(config: RunConfig, vocabSize: number, backend: string, log: (message: string) => void, limitBytes = memoryLimitBytes()): void {
  const verdict = checkMemory({ ...config, vocabSize }, backend as MemoryBackend, limitBytes);
  if (verdict.fits) return;
  if (config.ignoreMemoryCheck) return log(`warning: this run ${verdict.message}; starting anyway, as asked (ignoreMemoryCheck)`);
  throw new Error(`${OUT_OF_MEMORY}: this run ${verdict.message} (checked before allocating); ${MEMORY_ADVICE}, or set ignoreMemoryCheck to try anyway`);
}
