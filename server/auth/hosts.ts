import net from "node:net";

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];

/** Whether binding to `host` keeps the server on this machine. */
export function isLoopbackBind(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  return net.isIPv4(h) && h.startsWith("127.");
}

/** The hostname of a Host header ("[::1]:3000" → "::1"), lowercase; null when there is none. */
export function hostnameOf(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null;
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end > 0 ? h.slice(1, end) : null;
  }
  const colon = h.indexOf(":");
  return colon < 0 ? h : h.slice(0, colon);
}

/**
 * Which Host headers and Origins are ours. A page on another site can point its own name at this
 * machine (DNS rebinding), so only names we know are served, and only our own pages may write.
 */
export class HostPolicy {
  private names: Set<string>;
  private publicOrigin: string | null;

  constructor(opts: { bindHost: string; publicUrl?: string; allowedHosts?: string[] }) {
    this.names = new Set(LOOPBACK_NAMES);
    const bind = opts.bindHost.replace(/^\[|\]$/g, "").toLowerCase();
    // A specific address is named by IP, which no other site can rebind; a wildcard bind names nothing.
    if (bind !== "0.0.0.0" && bind !== "::") this.names.add(bind);
    for (const h of opts.allowedHosts ?? []) this.names.add(hostnameOf(h) ?? h);
    this.publicOrigin = null;
    if (opts.publicUrl) {
      const u = new URL(opts.publicUrl);
      this.names.add(u.hostname.replace(/^\[|\]$/g, "").toLowerCase());
      this.publicOrigin = u.origin;
    }
  }

  hostAllowed(hostHeader: string | undefined): boolean {
    const name = hostnameOf(hostHeader);
    return name !== null && this.names.has(name);
  }

  /** An absent Origin (a program, not a browser) passes; a present one must be this server as the browser saw it. */
  originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
    if (origin === undefined) return true;
    if (this.publicOrigin && origin === this.publicOrigin) return true;
    let u: URL;
    try {
      u = new URL(origin);
    } catch {
      return false;
    }
    return (u.protocol === "http:" || u.protocol === "https:") && Boolean(hostHeader) && u.host === hostHeader!.trim().toLowerCase();
  }

  refusedHostMessage(hostHeader: string | undefined): string {
    return `Host ${JSON.stringify(hostHeader ?? "")} is not served here. Use localhost, or add the name to PUBLIC_URL or ALLOWED_HOSTS.`;
  }
}
