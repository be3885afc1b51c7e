"use client";

/**
 * Whether the page can reach the server, from the live socket (down from a disconnect to the next
 * connect) and from tRPC calls (down from a network failure to the next answer, any answer).
 */
let socketDown = false;
let fetchDown = false;
/** A page being left closes its socket on purpose: that is no lost connection. */
let leaving = false;
const listeners = new Set<(lost: boolean) => void>();

export const connectionLost = () => !leaving && (socketDown || fetchDown);

function set(change: () => void) {
  const before = connectionLost();
  change();
  const after = connectionLost();
  if (after !== before) for (const fn of listeners) fn(after);
}

export function reportSocket(up: boolean) {
  set(() => {
    socketDown = !up;
    // A fresh socket connection means the server answers again.
    if (up) fetchDown = false;
  });
}

export function reportFetch(ok: boolean) {
  set(() => (fetchDown = !ok));
}

export function markLeaving() {
  set(() => (leaving = true));
}

/** Calls `fn(lost)` on every change; returns the unsubscribe. */
export function onConnection(fn: (lost: boolean) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
