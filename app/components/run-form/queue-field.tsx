"use client";
import Link from "next/link";
import { useState } from "react";
import { HINTS, LABELS } from "../../../lib/run-config";
import type { RouterOutputs } from "../../../server/trpc/router";
import { fieldClass } from "./field-class";

export type LiveQueue = RouterOutputs["worker"]["queues"][number];

/** The form's text for `queue: null`; not a valid queue name, so it can never be sent as one. */
export const THIS_SERVER = "(this server)";
const OTHER = "(another)";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
export const queueLabel = (q: LiveQueue) => `${q.name} — ${plural(q.workers, "worker")}, ${q.idle} idle`;

function hintOf(value: string, typing: boolean, live: LiveQueue | undefined): string {
  if (value === THIS_SERVER) return HINTS.queue;
  if (typing && value === "") return "Type the queue name a worker pulls from (npm run worker -- --queue NAME)";
  if (!live) return `No live worker pulls from ${value} yet: the run waits queued until one starts with --queue ${value}`;
  return live.idle > 0
    ? `Trains on the next ${value} worker with a free slot; ${live.idle} of ${plural(live.workers, "worker")} idle now`
    : `Every ${value} worker is busy: the run waits queued until one has a free slot`;
}

/**
 * Run on: this server, a queue live workers pull from (with how many there are), or a name typed
 * in, for a worker that has not started yet.
 */
export function QueueField({ value, error, queues, queuesError, onChange }: {
  value: string; error?: string; queues: LiveQueue[] | null; queuesError: string | null; onChange: (name: string, v: string) => void;
}) {
  const [typing, setTyping] = useState(false);
  const live = queues ?? [];
  const known = value === THIS_SERVER || live.some((q) => q.name === value);
  const choices = [
    { value: THIS_SERVER, label: "This server" },
    ...live.map((q) => ({ value: q.name, label: queueLabel(q) })),
    ...(!typing && !known ? [{ value, label: `${value} — no live worker` }] : []),
    { value: OTHER, label: "Another queue…" },
  ];

  function pick(v: string) {
    setTyping(v === OTHER);
    if (v === OTHER) onChange("queue", value === THIS_SERVER ? "" : value);
    else onChange("queue", v);
  }

  const hint = hintOf(value, typing, live.find((q) => q.name === value));
  return (
    <div>
      <label htmlFor="field-queue" className="block text-sm font-medium text-slate-300">{LABELS.queue}</label>
      <select id="field-queue" name="queue" value={typing ? OTHER : value} onChange={(e) => pick(e.target.value)} className={fieldClass(typing ? undefined : error)}
        aria-describedby="field-queue-hint">
        {choices.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
      </select>
      {typing && (
        <input id="field-queue-name" aria-label="Queue name" value={value} autoFocus autoComplete="off" placeholder="gpu" spellCheck={false}
          onChange={(e) => onChange("queue", e.target.value)} aria-invalid={Boolean(error)} aria-describedby="field-queue-hint" className={fieldClass(error)} />
      )}
      <p id="field-queue-hint" className={`mt-1 text-xs ${error ? "text-rose-300" : "text-slate-500"}`} data-testid={error ? "error-queue" : undefined}>
        {error ?? hint}
        {!error && value !== THIS_SERVER && <> · <Link href="/workers" className="text-indigo-300 hover:underline">Workers</Link></>}
        {queuesError && <span className="block text-amber-300">Could not list the worker queues: {queuesError}</span>}
      </p>
    </div>
  );
}
