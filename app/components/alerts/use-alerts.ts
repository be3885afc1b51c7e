"use client";
import { useCallback, useEffect, useState } from "react";
import type { AlertType } from "../../../lib/anomaly/types";
import { EV } from "../../../lib/protocol";
import type { RouterOutputs } from "../../../server/trpc/router";
import { useActionError } from "../../lib/errors";
import { liveSocket } from "../../lib/socket";
import { trpc } from "../../lib/trpc";

export type AlertRow = RouterOutputs["alert"]["list"][number];
export type Mute = RouterOutputs["alert"]["mutes"][number];

/** Newest first; a fetched row replaces the same alert held before (its acknowledged state is newer). */
function mergeAlerts(held: AlertRow[], fresh: AlertRow[]): AlertRow[] {
  const byId = new Map(held.map((a) => [a.id, a]));
  for (const a of fresh) byId.set(a.id, a);
  return [...byId.values()].sort((a, b) => b.id - a.id);
}

/**
 * The alerts of one run (or of every run) and the mutes in force, kept live through the alerts
 * room, with the actions on them. Each action reloads, and so does every acknowledge or mute
 * made elsewhere (alerts:changed).
 */
export function useAlerts(runId: string | undefined, initial: AlertRow[] = []) {
  const [alerts, setAlerts] = useState(initial);
  const [mutes, setMutes] = useState<Mute[]>([]);
  const [error, setError] = useActionError();

  const load = useCallback(async () => {
    const [fresh, inForce] = await Promise.all([trpc.alert.list.query({ runId, limit: 500 }), trpc.alert.mutes.query({ runId })]);
    setAlerts((held) => mergeAlerts(held, fresh));
    setMutes(inForce);
  }, [runId]);

  useEffect(() => {
    const socket = liveSocket();
    const reload = () => load().catch((e: unknown) => setError(e, "Could not load alerts"));
    const join = () => {
      socket.emit(EV.alertsSubscribe);
      void reload();
    };
    const onNew = (a: AlertRow) => (runId === undefined || a.runId === runId) && setAlerts((held) => mergeAlerts(held, [a]));
    const onChanged = (msg: { runId: string | null }) => (runId === undefined || msg.runId === null || msg.runId === runId) && void reload();
    socket.on(EV.alertNew, onNew);
    socket.on(EV.alertsChanged, onChanged);
    socket.on("connect", join);
    if (socket.connected) join();
    return () => {
      socket.off(EV.alertNew, onNew);
      socket.off(EV.alertsChanged, onChanged);
      socket.off("connect", join);
    };
  }, [runId, load, setError]);

  async function act(action: () => Promise<unknown>) {
    setError(null);
    try {
      await action();
      await load();
    } catch (e) {
      setError(e);
    }
  }

  return {
    alerts,
    mutes,
    error,
    acknowledge: (ids: number[]) => act(() => trpc.alert.acknowledge.mutate({ ids })),
    /** Every alert of this hook's run, or of every run. */
    acknowledgeAll: () => act(() => trpc.alert.acknowledge.mutate({ runId: runId ?? null })),
    /** minutes null: until unmuted. */
    mute: (forRun: string | null, type: AlertType, minutes: number | null) => act(() => trpc.alert.mute.mutate({ runId: forRun, type, minutes })),
    unmute: (id: number) => act(() => trpc.alert.unmute.mutate({ id })),
  };
}
