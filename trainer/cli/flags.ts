import { parseArgs, type ParseArgsConfig } from "node:util";
import type { z } from "zod";

/** Exits with `error: message`: code 2 for bad input, 1 for anything else. */
export function fail(message: string, code: number): never {
  console.error(`error: ${message}`);
  process.exit(code);
}

/**
 * Reads the command line against `options`, then validates it with `schema`; an unknown flag or a
 * bad value exits 2 with a message. `prepare` renames or reshapes the raw values first.
 */
export function parseFlags<S extends z.ZodType>(
  options: NonNullable<ParseArgsConfig["options"]>,
  schema: S,
  prepare: (values: Record<string, unknown>) => Record<string, unknown> = (v) => v,
  describe: (issue: z.core.$ZodIssue) => string = (i) => i.message,
): z.infer<S> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ options }).values;
  } catch (e) {
    fail((e as Error).message, 2);
  }
  const parsed = schema.safeParse(prepare(values));
  if (!parsed.success) fail(parsed.error.issues.map(describe).join("; "), 2);
  return parsed.data;
}
