"use client";
import { io, type Socket } from "socket.io-client";

let socket: Socket | null = null;

/** One socket.io connection per tab, shared by every live component. */
export function liveSocket(): Socket {
  socket ??= io({ transports: ["websocket", "polling"] });
  return socket;
}
