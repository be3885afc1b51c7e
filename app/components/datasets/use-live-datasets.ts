"use client";
import { useEffect, useState } from "react";
import { EV } from "../../../lib/protocol";
import type { RouterOutputs } from "../../../server/trpc/router";
import { liveSocket } from "../../lib/socket";

type Dataset = RouterOutputs["dataset"]["list"][number];
export type Progress = { id: string; status: string; progress: number; stage: string; message: string };

/** Datasets with their status and preparation progress, kept live over socket.io. */
export function useLiveDatasets(initial: Dataset[]) {
  const [datasets, setDatasets] = useState(initial);
  const [progress, setProgress] = useState<Record<string, Progress>>({});
  useEffect(() => {
    const socket = liveSocket();
    const join = () => socket.emit(EV.datasetsSubscribe);
    const onStatus = (d: Dataset) =>
      setDatasets((rows) => (rows.some((r) => r.id === d.id) ? rows.map((r) => (r.id === d.id ? d : r)) : [d, ...rows]));
    const onProgress = (p: Progress) => setProgress((all) => ({ ...all, [p.id]: p }));
    join();
    socket.on("connect", join);
    socket.on(EV.datasetStatus, onStatus);
    socket.on(EV.datasetProgress, onProgress);
    return () => {
      socket.off("connect", join);
      socket.off(EV.datasetStatus, onStatus);
      socket.off(EV.datasetProgress, onProgress);
    };
  }, []);
  return { datasets, progress };
}
