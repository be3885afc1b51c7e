/** The one file in lib/eval that does I/O: reads a registered benchmark file for parseTaskLines. */
import { readFileSync } from "node:fs";
import type { EvalTask } from "./contracts";
import { parseTaskLines } from "./readers";
import type { TaskDocs } from "./tasks";

/**
 * Reads and parses a jsonl benchmark file, synchronously (the server validates a registration
 * inside one call). Invalid UTF-8 is an error, as Python's utf-8 decoding would make it, rather
 * than U+FFFD silently changing the texts scored. A leading byte order mark is dropped.
 */
export function readTaskFile<T extends EvalTask>(task: T, path: string): TaskDocs[T][] {
  const bytes = readFileSync(path);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${path}: not valid UTF-8`);
  }
  return parseTaskLines(task, text, path);
}
