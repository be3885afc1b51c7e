import { initTRPC } from "@trpc/server";
import type { Services } from "../services";
import { formatError } from "./errors";
import { pathRefusals } from "./path-refusals";
import { textGuard } from "./text-guard";

export interface Context {
  services: Services;
}

const t = initTRPC.context<Context>().create({
  isDev: process.env.NODE_ENV === "development",
  errorFormatter: formatError,
});

export const router = t.router;
export const procedure = t.procedure.use(textGuard).use(pathRefusals);
export const createCallerFactory = t.createCallerFactory;
