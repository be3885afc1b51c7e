import { initTRPC } from "@trpc/server";
import { ZodError } from "zod";
import type { Services } from "../services";

export interface Context {
  services: Services;
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const fieldErrors =
      cause instanceof ZodError
        ? Object.fromEntries(cause.issues.map((i) => [String(i.path[0] ?? "form"), i.message]))
        : null;
    return { ...shape, data: { ...shape.data, fieldErrors } };
  },
});

export const router = t.router;
export const procedure = t.procedure;
export const createCallerFactory = t.createCallerFactory;
