import type { Server, Socket } from "socket.io";
import type { z } from "zod";
import { EvalPredictions } from "../lib/eval/contracts";
import { fastMetricBatch } from "../lib/metric-batch-fast";
import {
  ALERTS_ROOM, CheckpointCorrupt, CheckpointListRequest, CheckpointSaved, DATASETS_ROOM, EV, Heartbeat, MetricBatch, RecoveryEvent, roomOf, RunRoom, RUNS_ROOM, TrainerAuth, TrainerDone,
  TrainerHello, TrainerLog, type TrainerRedirect,
} from "../lib/protocol";
import { describeBadText, findBadText } from "../lib/text-guard";
import type { Services } from "./services";
import { NotOwner } from "./services/cluster/cluster";
import { type Launch, Refused } from "./services/supervisor/trainer-channel";
import { publicMessage } from "./trpc/errors";

type Ack = (reply: { ok: true; [k: string]: unknown } | { ok: false; error: string }) => void;

interface OnOptions<T> {
  /** Called for every answer with ok: false. */
  refused?: () => void;
  /** A check that accepts a well-formed payload faster than the text guard and the schema, or returns null to leave it to them. */
  fast?: (payload: unknown) => T | null;
}

/**
 * Wires a validated handler to an event. Bad payloads are answered with an error and never
 * reach a service; a failing service is answered with its message and never crashes the server.
 */
function on<S extends z.ZodType>(
  socket: Socket,
  event: string,
  schema: S,
  handler: (data: z.infer<S>) => Promise<Record<string, unknown> | void>,
  options: OnOptions<z.infer<S>> = {},
) {
  socket.on(event, async (payload: unknown, ack?: unknown) => {
    const answer: Ack = typeof ack === "function" ? (ack as Ack) : () => {};
    const reply: Ack = (r) => {
      if (!r.ok) options.refused?.();
      answer(r);
    };
    const quick = options.fast?.(payload) ?? null;
    let data: z.infer<S>;
    if (quick !== null) data = quick;
    else {
      const bad = findBadText(payload);
      if (bad) return void reply({ ok: false, error: `Invalid ${event}: ${describeBadText(bad)}` });
      const parsed = schema.safeParse(payload);
      if (!parsed.success) {
        reply({ ok: false, error: `Invalid ${event}: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}` });
        return;
      }
      data = parsed.data;
    }
    try {
      reply({ ok: true, ...((await handler(data)) ?? {}) });
    } catch (e) {
      // A refusal is the channel's answer to the trainer; anything else is internal and gets an id.
      if (e instanceof Refused) {
        console.warn(`${event} refused: ${e.message}`);
        return reply({ ok: false, error: e.message });
      }
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

/**
 * Trainers on /trainer, each authenticated by its launch's token. Every message is admitted by the
 * trainer channel (token still live, run active, this socket the run's one trainer socket) and
 * checked against the run's state before any service sees it.
 */
function trainerSocket(socket: Socket, services: Services) {
  const { supervisor, writer, hub, watch, channel } = services;
  const runId: string = socket.data.runId;
  /** `check` tests the message against the launch (throwing Refused); `handler` gets what it returned. */
  const admitted = <S extends z.ZodType, C>(
    event: string,
    schema: S,
    check: (launch: Launch, data: z.infer<S>) => C | Promise<C>,
    handler: (data: z.infer<S>, checked: C) => Promise<Record<string, unknown> | void>,
    options?: OnOptions<z.infer<S>>,
  ) => on(socket, event, schema, async (data) => handler(data, await channel.admit(socket, event, (launch) => check(launch, data))), options);
  const none = () => {};

  admitted(EV.checkpointList, CheckpointListRequest, none, async () => ({ checkpoints: await channel.recorded(runId) }));
  admitted(EV.trainerHello, TrainerHello, (launch, hello) => channel.hello(launch, hello.startStep), async (hello) => {
    // A trainer this server did not start (an orphan from before a restart) is told to stop.
    if (!supervisor.attach(runId, socket)) return void socket.emit(EV.runStop);
    await services.runs.trainerStarted(runId, hello);
  });
  const stats = writer.stats;
  admitted(EV.metricBatch, MetricBatch, (launch, batch) => channel.metrics(launch, batch), async (batch) => {
    const arrived = performance.now();
    stats.batchesReceived++;
    stats.pointsReceived += batch.points.length;
    hub.metrics(runId, batch.points);
    watch.metrics(runId, batch.points);
    await writer.enqueue(runId, batch.points);
    // Pushed before the ack: once a trainer has its ack it never re-sends the batch, so an instance
    // killed while the points sat in the push buffer would leave every watching browser a gap.
    hub.pushMetrics(runId);
    stats.pointsAcked += batch.points.length;
    stats.ackMs.record(performance.now() - arrived);
    return { seq: batch.seq };
  }, { refused: () => stats.batchesRefused++, fast: fastMetricBatch });
  admitted(EV.checkpointSaved, CheckpointSaved, (launch, c) => channel.checkpoint(launch, c), async (_c, verified) => {
    const row = await services.runs.recordCheckpoint(runId, verified);
    hub.checkpoint(runId, row);
  });
  admitted(EV.checkpointCorrupt, CheckpointCorrupt, none, async (c) => channel.corrupt(runId, c));
  admitted(EV.trainerHeartbeat, Heartbeat, (launch, beat) => channel.heartbeat(launch, beat), async (beat) => watch.heartbeat(runId, beat));
  admitted(EV.trainerRecovery, RecoveryEvent, (launch, event) => channel.rollback(launch, event), async (event) => {
    if (event.type === "rollback" && event.toStep !== undefined) {
      await writer.supersede(runId, event.toStep, event.attempt ?? 1);
      hub.rollback(runId, event.toStep);
    }
    watch.recovered(runId, event);
  });
  admitted(EV.evalPredictions, EvalPredictions, none, async (p) => services.evals.storePredictions(runId, p));
  admitted(EV.trainerLog, TrainerLog, none, async ({ message }) => hub.runLog(runId, message));
  admitted(EV.trainerDone, TrainerDone, none, async (done) => {
    supervisor.reportedDone(runId);
    await writer.flush();
    writer.forget(runId);
    await services.runs.trainerDone(runId, done);
    await watch.failed(runId, done).catch((e) => console.error(`run ${runId}: raising its failure alert failed:`, e));
    // After the reply: the launch is over, so its token opens nothing and no socket of it stays.
    setImmediate(() => channel.ended(runId, socket.data.token));
  });
}

/** `browserAuth` answers why a browser handshake is refused, or null to let it in. */
export function attachSockets(io: Server, services: Services, browserAuth?: (socket: Socket) => Promise<string | null>) {
  if (browserAuth) io.use((socket, next) => void browserAuth(socket).then((problem) => next(problem ? new Error(problem) : undefined), next));
  io.on("connection", browserSocket);
  const trainers = io.of("/trainer");
  trainers.use(async (socket, next) => {
    const auth = TrainerAuth.safeParse(socket.handshake.auth);
    if (!auth.success) return next(new Error("Trainer handshake needs { runId, token }"));
    const ok = await services.channel.authenticate(auth.data.runId, auth.data.token).catch((e) => {
      console.error("trainer handshake failed:", e);
      return false;
    });
    // One message for every refusal, so a stranger learns nothing about which runs exist.
    if (!ok) return next(new Error("Unknown run or wrong token"));
    // Scale-out: the run's owner takes its trainer; another instance sends it on (data.retry).
    const placed = await services.cluster?.admitTrainer(auth.data.runId).then(() => null, (e: unknown) => e);
    if (placed) {
      if (!(placed instanceof NotOwner)) console.error(`trainer of run ${auth.data.runId}: taking it here failed:`, placed);
      const message = placed instanceof NotOwner ? placed.message : "This instance could not take the trainer now; try again";
      const data: TrainerRedirect = { retry: true, owner: placed instanceof NotOwner ? placed.ownerUrl : null };
      return next(Object.assign(new Error(message), { data }));
    }
    socket.data.runId = auth.data.runId;
    socket.data.token = auth.data.token;
    services.channel.join(socket, auth.data.runId, auth.data.token);
    next();
  });
  trainers.on("connection", (socket) => trainerSocket(socket, services));
}
