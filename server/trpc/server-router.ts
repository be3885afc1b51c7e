import { z } from "zod";
import { procedure, router } from "./init";

export const serverRouter = router({
  /** Event-loop lag and metric-ingest counters over the last `windowSeconds`; read-only. */
  stats: procedure
    .input(z.object({ windowSeconds: z.number().int().min(1).max(300).default(60) }).default({ windowSeconds: 60 }))
    .query(({ ctx, input }) => ctx.services.stats.snapshot(input.windowSeconds)),
});
