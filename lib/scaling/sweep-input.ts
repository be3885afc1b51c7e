import { z } from "zod";
import { SWEEP_NAME, SweepGrid } from "./sweep";

/** sweep.plan and sweep.create: a name, the base run config (the new-run form's fields) and the grid. */
export const SweepInput = SweepGrid.extend({
  name: z.string().trim().regex(SWEEP_NAME, "A sweep name: lowercase letters, digits, '.', '-' or '_', at most 40"),
  /** A RunConfig input without name, steps or shape: those come from each cell. Checked by the run config's own schema. */
  base: z.record(z.string(), z.unknown()).default({}),
});
export type SweepInput = z.input<typeof SweepInput>;
