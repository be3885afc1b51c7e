import { TRPCError } from "@trpc/server";
import type { Fault } from "../../../lib/faults";

/** Fault injection crashes and stalls trainers on purpose: a config may carry faults only when the server was started to allow it. */
export function checkFaults(faults: readonly Fault[], enabled: boolean) {
  if (faults.length > 0 && !enabled)
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "faults: fault injection is off on this server; start it with ENABLE_FAULT_INJECTION=1 to allow it (tests and demos only)",
    });
}
