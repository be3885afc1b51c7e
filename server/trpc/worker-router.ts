import { procedure, router } from "./init";

export const workerRouter = router({
  /** Workers heard from in the last day: state, heartbeat age, machine, backends, GPUs and runs. */
  list: procedure.query(({ ctx }) => ctx.services.workers.list()),
  /** The queues live workers pull from, with how many workers (and idle ones) each has; for the form's Run on. */
  queues: procedure.query(({ ctx }) => ctx.services.workers.queues()),
});
