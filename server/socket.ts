import type { Server, Socket } from "socket.io";
import type { z } from "zod";
import {
  ALERTS_ROOM, CheckpointSaved, DATASETS_ROOM, EV, Heartbeat, MetricBatch, RecoveryEvent, roomOf, RunRoom, RUNS_ROOM, TrainerAuth, TrainerDone,
  TrainerHello, TrainerLog,
} from "../lib/protocol";
import { EvalPredictions } from "../lib/eval/contracts";
import { describeBadText, findBadText } from "../lib/text-guard";
import type { Services } from "./services";
import { publicMessage } from "./trpc/errors";

type Ack = (reply: { ok: true; [k: string]: unknown } | { ok: false; error: string }) => void;

/**
 * Wires a validated handler to an event. Bad payloads are answered with an error and never
 * reach a service; a failing service is answered with its message and never crashes the server.
 */
function on<S extends z.ZodType>(
  socket: Socket,
  event: string,
  schema: S,
  handler: (data: z.infer<S>) => Promise<Record<string, unknown> | void>,
) {
  socket.on(event, async (payload: unknown, ack?: unknown) => {
    const reply: Ack = typeof ack === "function" ? (ack as Ack) : () => {};
    const bad = findBadText(payload);
    if (bad) return void reply({ ok: false, error: `Invalid ${event}: ${describeBadText(bad)}` });
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      reply({ ok: false, error: `Invalid ${event}: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}` });
      return;
    }
    try {
      reply({ ok: true, ...((await handler(parsed.data)) ?? {}) });
    } catch (e) {
      reply({ ok: false, error: publicMessage(e, event) });
    }
  });
}

/** Browsers on the default namespace: they only join rooms; all data is pushed by the Hub. */
function browserSocket(socket: Socket) {
  on(socket, EV.runSubscribe, RunRoom, async (runId) => void socket.join(roomOf(runId)));
  on(socket, EV.runUnsubscribe, RunRoom, async (runId) => void socket.leave(roomOf(runId)));
  socket.on(EV.runsSubscribe, () => void socket.join(RUNS_ROOM));
  socket.on(EV.datasetsSubscribe, () => void socket.join(DATASETS_ROOM));
  socket.on(EV.alertsSubscribe, () => void socket.join(ALERTS_ROOM));
}

/** Trainers on /trainer, each authenticated by its run's token. */
function trainerSocket(socket: Socket, services: Services) {
  const { runs, supervisor, writer, hub, watch } = services;
  const runId: string = socket.data.runId;
  on(socket, EV.trainerHello, TrainerHello, async (hello) => {
    // A trainer this server did not start (an orphan from before a restart) is told to stop.
    if (!supervisor.attach(runId, socket)) return void socket.emit(EV.runStop);
    await runs.trainerStarted(runId, hello);
  });
  on(socket, EV.metricBatch, MetricBatch, async (batch) => {
    hub.metrics(runId, batch.points);
    watch.metrics(runId, batch.points);
    await writer.enqueue(runId, batch.points);
    return { seq: batch.seq };
  });
  on(socket, EV.checkpointSaved, CheckpointSaved, async (c) => {
    const row = await runs.recordCheckpoint(runId, c);
    hub.checkpoint(runId, row);
  });
  on(socket, EV.trainerHeartbeat, Heartbeat, async (beat) => watch.heartbeat(runId, beat));
  on(socket, EV.trainerRecovery, RecoveryEvent, async (event) => {
    if (event.type === "rollback" && event.toStep !== undefined) {
      await writer.supersede(runId, event.toStep, event.attempt ?? 1);
      hub.rollback(runId, event.toStep);
    }
    watch.recovered(runId, event);
  });
  on(socket, EV.evalPredictions, EvalPredictions, async (p) => services.evals.storePredictions(runId, p));
  on(socket, EV.trainerLog, TrainerLog, async ({ message }) => hub.runLog(runId, message));
  on(socket, EV.trainerDone, TrainerDone, async (done) => {
    supervisor.reportedDone(runId);
    await writer.flush();
    await runs.trainerDone(runId, done);
  });
}

export function attachSockets(io: Server, services: Services) {
  io.on("connection", browserSocket);
  const trainers = io.of("/trainer");
  trainers.use(async (socket, next) => {
    const auth = TrainerAuth.safeParse(socket.handshake.auth);
    if (!auth.success) return next(new Error("Trainer handshake needs { runId, token }"));
    const run = await services.runs.authenticate(auth.data.runId, auth.data.token).catch(() => null);
    if (!run) return next(new Error("Unknown run or wrong token"));
    socket.data.runId = run.id;
    next();
  });
  trainers.on("connection", (socket) => trainerSocket(socket, services));
}
