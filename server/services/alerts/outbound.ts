import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";

type Range = [address: string, prefix: number, type: "ipv4" | "ipv6", reason: string];

/** Addresses no outbound request may reach, whatever the settings: cloud metadata lives in link-local. */
const NEVER: Range[] = [
  ["0.0.0.0", 8, "ipv4", "an unspecified address"],
  ["169.254.0.0", 16, "ipv4", "a link-local or cloud-metadata address"],
  ["224.0.0.0", 4, "ipv4", "a multicast address"],
  ["240.0.0.0", 4, "ipv4", "a reserved address"],
  ["::", 128, "ipv6", "an unspecified address"],
  ["fe80::", 10, "ipv6", "a link-local address"],
  ["ff00::", 8, "ipv6", "a multicast address"],
];
/** Addresses of this machine and its networks: refused unless WEBHOOK_ALLOW_PRIVATE is set. */
const PRIVATE: Range[] = [
  ["127.0.0.0", 8, "ipv4", "a loopback address"],
  ["10.0.0.0", 8, "ipv4", "a private address"],
  ["172.16.0.0", 12, "ipv4", "a private address"],
  ["192.168.0.0", 16, "ipv4", "a private address"],
  ["100.64.0.0", 10, "ipv4", "a carrier-grade NAT address"],
  ["192.0.0.0", 24, "ipv4", "a reserved address"],
  ["198.18.0.0", 15, "ipv4", "a benchmarking address"],
  ["::1", 128, "ipv6", "a loopback address"],
  ["fc00::", 7, "ipv6", "a private (unique local) address"],
  // fd00:ec2::254 (AWS metadata over IPv6) falls in fc00::/7 too.
];

function compile(ranges: Range[]) {
  return ranges.map(([address, prefix, type, reason]) => {
    const list = new net.BlockList();
    list.addSubnet(address, prefix, type);
    return { list, type, reason };
  });
}
const never = compile(NEVER);
const privateRanges = compile(PRIVATE);
const reasonIn = (ranges: ReturnType<typeof compile>, ip: string, type: "ipv4" | "ipv6") =>
  ranges.find((r) => r.type === type && r.list.check(ip, type))?.reason ?? null;

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part included), or null. */
function hextets(ip: string): number[] | null {
  let s = ip.toLowerCase();
  const dotted = s.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const b = dotted[2].split(".").map(Number);
    s = `${dotted[1]}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail, extra] = s.split("::");
  if (extra !== undefined) return null;
  const h = head ? head.split(":") : [];
  const t = tail !== undefined ? (tail ? tail.split(":") : []) : null;
  const groups = t === null ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

/** The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 IPv6 address. */
function embeddedV4(ip: string): string | null {
  const g = hextets(ip);
  if (!g) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return v4(g[6], g[7]);
  // IPv4-compatible (::a.b.c.d); ::1 and :: are IPv6's own, not 0.0.0.x.
  if (zeros(0, 6) && g[6] !== 0) return v4(g[6], g[7]);
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4(g[6], g[7]);
  if (g[0] === 0x2002) return v4(g[1], g[2]);
  return null;
}

/** Why an outbound request must not go to `ip`, or null when it may. */
export function addressProblem(ip: string, allowPrivate: boolean): string | null {
  const family = net.isIP(ip);
  if (family === 0) return "not an IP address";
  if (family === 6) {
    const inner = embeddedV4(ip);
    if (inner) return addressProblem(inner, allowPrivate);
  }
  const type = family === 4 ? "ipv4" : "ipv6";
  return reasonIn(never, ip, type) ?? (allowPrivate ? null : reasonIn(privateRanges, ip, type));
}

export class OutboundRefused extends Error {}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** At most the first 64 KiB of the body. */
  text: string;
}

const MAX_BODY = 64 * 1024;

/**
 * POSTs `body` to `url`, refusing loopback, private, link-local and metadata addresses after DNS
 * resolution; the socket connects to the very address that was checked, so a second lookup cannot
 * rebind it. Redirects are not followed (a 3xx is returned as is).
 */
export function guardedPost(
  url: string,
  body: string,
  opts: { headers: Record<string, string>; signal: AbortSignal; allowPrivate: boolean },
): Promise<OutboundResponse> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  if (net.isIP(host)) {
    const problem = addressProblem(host, opts.allowPrivate);
    if (problem) return Promise.reject(new OutboundRefused(`Refused: ${host} is ${problem}`));
  }
  const lookup: net.LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { all: true, family: options.family }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const bad = addresses.map((a) => [a.address, addressProblem(a.address, opts.allowPrivate)] as const).find(([, p]) => p);
      if (bad) return callback(new OutboundRefused(`Refused: ${hostname} resolves to ${bad[0]}, ${bad[1]}`), "", 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(target, { method: "POST", headers: { ...opts.headers, "content-length": Buffer.byteLength(body) }, lookup, signal: opts.signal });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") });
      res.on("data", (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c.subarray(0, MAX_BODY - size));
        size += c.length;
        if (size >= MAX_BODY) { res.destroy(); finish(); }
      });
      res.on("end", finish);
      res.on("error", reject);
    });
    req.end(body);
  });
}
