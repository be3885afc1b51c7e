"use client";
import { io, type Socket } from "socket.io-client";
import { markLeaving, reportSocket } from "./connection";

let socket: Socket | null = null;

/** One socket.io connection per tab, shared by every live component; its state feeds the connection banner. */
export function liveSocket(): Socket {
  if (socket) return socket;
  socket = io({ transports: ["websocket", "polling"] });
  socket.on("connect", () => reportSocket(true));
  socket.on("disconnect", (reason) => reason !== "io client disconnect" && reportSocket(false));
  // A transport that cannot reach the server, not the server refusing this socket (which it answers).
  socket.on("connect_error", (e: Error & { type?: string }) => (e.type === "TransportError" || e.message === "timeout") && reportSocket(false));
  window.addEventListener("pagehide", markLeaving);
  return socket;
}
