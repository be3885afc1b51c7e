import { z } from "zod";

const urlList = (name: string) =>
  z.string().default("").transform((s, ctx) => {
    const urls = s.split(",").map((u) => u.trim().replace(/\/+$/, "")).filter(Boolean);
    for (const u of urls) {
      if (!z.url({ protocol: /^https?$/ }).safeParse(u).success) ctx.addIssue({ code: "custom", message: `${name}: ${u.slice(0, 200)} is not an http:// or https:// URL` });
    }
    return urls;
  });

/** The variables of scale-out (docs/scale-out.md); without REDIS_URL none of them changes anything. */
export const clusterEnv = {
  /** redis://[user:password@]host:port[/db]: several instances share live events, login throttling and run leases. */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "REDIS_URL must be a redis:// or rediss:// URL" }).optional(),
  /** Prefix of every Redis key and stream this deployment uses, so deployments (or tests) can share one Redis. */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, "REDIS_PREFIX may hold letters, digits and : _ . - (at most 64)").default("pretrain"),
  /** This instance's name in the registry and in run leases; unique per process. By default host, pid and a random part. */
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "INSTANCE_ID may hold letters, digits and . _ - (at most 64)").optional(),
  /** Where trainers and peers reach this instance, when not at its bind address (e.g. http://10.0.0.5:3000). */
  INSTANCE_URL: z.url({ protocol: /^https?$/, error: "INSTANCE_URL must be an http:// or https:// URL" }).optional(),
  /** More addresses a trainer may fail over to, comma-separated (a load balancer, or the instances). */
  SERVER_URLS: urlList("SERVER_URLS"),
  /** How long a run lease holds without renewal: the longest a dead owner's runs wait to be taken over. */
  LEASE_TTL_MS: z.coerce.number().int("LEASE_TTL_MS must be a whole number of milliseconds").min(500).max(600_000).default(10_000),
  /** How often an owner renews its leases (and its registry heartbeat); well under LEASE_TTL_MS. */
  LEASE_RENEW_MS: z.coerce.number().int("LEASE_RENEW_MS must be a whole number of milliseconds").min(100).max(300_000).default(2_000),
};

export function clusterEnvProblems(e: { LEASE_TTL_MS: number; LEASE_RENEW_MS: number }): { path: string; message: string }[] {
  if (e.LEASE_RENEW_MS * 2 > e.LEASE_TTL_MS) return [{ path: "LEASE_RENEW_MS", message: `must be at most half of LEASE_TTL_MS (${e.LEASE_TTL_MS}), so one late renewal does not lose a lease` }];
  return [];
}
