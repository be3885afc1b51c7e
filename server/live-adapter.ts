import { createAdapter } from "@socket.io/redis-streams-adapter";
import type { Redis } from "ioredis";
import { Adapter, type BroadcastOptions, MessageType } from "socket.io-adapter";
import type { Namespace } from "socket.io";

type AnyAdapter = Adapter & { publish(message: { type: MessageType; data: unknown }): void };

/**
 * socket.io's adapter over a Redis stream, so a broadcast on any instance reaches the browsers of
 * all of them. The stream (not pub/sub) is read from the last entry seen, so after a blip every
 * entry written meanwhile is still delivered.
 *
 * One change to the library's behaviour: its broadcast waits for the stream write before it
 * emits to this instance's own sockets, so with Redis down local browsers would hear nothing.
 * Here the local emit comes first and the stream write follows (it waits in ioredis's queue
 * while Redis is away).
 */
export function liveAdapter(client: Redis, prefix: string) {
  const make = createAdapter(client, {
    streamName: `${prefix}:socket.io`,
    channelPrefix: `${prefix}:socket.io`,
    sessionKeyPrefix: `${prefix}:sio:session:`,
  });
  return function (nsp: Namespace) {
    const adapter = make(nsp) as unknown as AnyAdapter;
    adapter.broadcast = (packet, opts: BroadcastOptions) => {
      Adapter.prototype.broadcast.call(adapter, packet, opts);
      if (opts.flags?.local) return;
      adapter.publish({ type: MessageType.BROADCAST, data: { packet, opts: { rooms: [...opts.rooms], except: [...(opts.except ?? [])], flags: opts.flags } } });
    };
    return adapter;
  };
}
