import crypto from "node:crypto";
import { TRPCError, type TRPCDefaultErrorShape as DefaultErrorShape } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";

type Issue = { path?: readonly PropertyKey[]; message: string };
export type ErrorShape = DefaultErrorShape & { data: DefaultErrorShape["data"] & { fieldErrors?: Record<string, string>; requestId?: string } };

const ids = new WeakMap<object, string>();
/** One id per error, whichever of the logger and the formatter sees it first. */
export function requestIdOf(error: object): string {
  let id = ids.get(error);
  if (!id) ids.set(error, (id = crypto.randomUUID()));
  return id;
}

const isInternal = (error: TRPCError) => getHTTPStatusCodeFromError(error) >= 500;
/** A validator that threw on a hostile value (a runtime error, not issues): the input is refused, its text stays in the log. */
const isValidatorCrash = (error: TRPCError) =>
  error.code === "BAD_REQUEST" && (error.cause instanceof TypeError || error.cause instanceof RangeError || error.cause instanceof ReferenceError);

/** Input validation failures carry their issues; turn them into one message per field. */
function issuesOf(cause: unknown): Issue[] | null {
  const issues = (cause as { issues?: unknown } | undefined)?.issues;
  return Array.isArray(issues) ? (issues as Issue[]) : null;
}

/**
 * What a client sees of an error. Known errors (a code below 500, zod's issues) keep their
 * messages, each field named; anything internal answers with its request id only: the text of
 * a driver or runtime error (SQL, paths, stack) stays in the server's log.
 */
export function formatError({ shape, error }: { shape: DefaultErrorShape; error: TRPCError }): ErrorShape {
  if (isInternal(error)) {
    const requestId = requestIdOf(error);
    const { stack: _stack, ...data } = shape.data;
    return { ...shape, message: `Internal error (request id ${requestId})`, data: { ...data, requestId } };
  }
  if (isValidatorCrash(error)) {
    const requestId = requestIdOf(error);
    return { ...shape, message: `Invalid input (request id ${requestId})`, data: { ...shape.data, requestId } };
  }
  const issues = error.code === "BAD_REQUEST" ? issuesOf(error.cause) : null;
  if (!issues) return shape;
  // Field names come from the client's input ("__proto__" as a record key): a Map, not a plain object.
  const byField = new Map<string, string>();
  for (const i of issues) {
    const field = i.path?.length ? i.path.map(String).join(".") : "form";
    if (!byField.has(field)) byField.set(field, i.message);
  }
  const message = [...byField].map(([k, m]) => `${k}: ${m}`).join("; ");
  return { ...shape, message, data: { ...shape.data, fieldErrors: Object.fromEntries(byField) } };
}

/** createHTTPHandler's onError: every internal error is logged with the id its answer carries. */
export function logError({ error, path, type }: { error: TRPCError; path?: string; type?: string }) {
  if (isInternal(error)) console.error(`Internal error (request id ${requestIdOf(error)}) in ${type ?? "request"} ${path ?? "?"}:`, error.cause ?? error);
  else if (isValidatorCrash(error)) console.error(`Validator error (request id ${requestIdOf(error)}) in ${type ?? "request"} ${path ?? "?"}:`, error.cause);
}

/**
 * The socket counterpart: a handler's known error keeps its message; anything else is logged
 * with an id and answered with the id only.
 */
export function publicMessage(e: unknown, where: string): string {
  if (e instanceof TRPCError && !isInternal(e)) return e.message;
  const id = requestIdOf(e instanceof Error ? e : new Error(String(e)));
  console.error(`Internal error (request id ${id}) in ${where}:`, e);
  return `Internal error (request id ${id})`;
}
