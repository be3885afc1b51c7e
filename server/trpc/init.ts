import { initTRPC } from "@trpc/server";
import type { Services } from "../services";

export interface Context {
  services: Services;
}

type Issue = { path?: readonly PropertyKey[]; message: string };

/** Input validation failures carry their issues; turn them into one message per field. */
function issuesOf(cause: unknown): Issue[] | null {
  const issues = (cause as { issues?: unknown } | undefined)?.issues;
  return Array.isArray(issues) ? (issues as Issue[]) : null;
}

const t = initTRPC.context<Context>().create({
  isDev: process.env.NODE_ENV === "development",
  errorFormatter({ shape, error }) {
    const issues = issuesOf(error.cause);
    if (!issues) return shape;
    const fieldErrors: Record<string, string> = {};
    for (const i of issues) fieldErrors[i.path?.length ? i.path.map(String).join(".") : "form"] ??= i.message;
    const message = Object.entries(fieldErrors).map(([k, m]) => `${k}: ${m}`).join("; ");
    return { ...shape, message, data: { ...shape.data, fieldErrors } };
  },
});

export const router = t.router;
export const procedure = t.procedure;
export const createCallerFactory = t.createCallerFactory;
