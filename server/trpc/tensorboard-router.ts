import { z } from "zod";
import { TensorboardImportRequest, TensorboardImportUpload, TensorboardStop } from "../../lib/tensorboard";
import { procedure, router } from "./init";

/** TensorBoard log directories as outside runs (server/services/tensorboard/tensorboard.ts). */
export const tensorboardRouter = router({
  import: procedure.input(TensorboardImportRequest).mutation(({ ctx, input }) => ctx.services.tensorboard.import(input)),
  importUpload: procedure.input(TensorboardImportUpload).mutation(({ ctx, input }) => ctx.services.tensorboard.importUpload(input.batch, input.name)),
  stopFollow: procedure.input(TensorboardStop).mutation(({ ctx, input }) => ctx.services.tensorboard.stop(input)),
  /** Every import, following or finished, newest first, with its runs' progress and problems. */
  follows: procedure.query(({ ctx }) => ctx.services.tensorboard.list()),
  get: procedure.input(z.object({ id: z.string().min(1).max(64) })).query(({ ctx, input }) => ctx.services.tensorboard.get(input.id)),
});
