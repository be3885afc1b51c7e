import http from "node:http";
import type { AddressInfo } from "node:net";

/** A webhook receiver on loopback: records every JSON body it is sent and answers 200. */
export function webhookReceiver<T>() {
  const received: T[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push(JSON.parse(body));
      res.writeHead(200).end("ok");
    });
  });
  return {
    received,
    listen: () => new Promise<void>((r) => server.listen(0, "127.0.0.1", r)),
    url: (pathname: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${pathname}`,
    close: () => void server.close(),
  };
}
