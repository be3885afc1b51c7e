/**
 * Slows password guessing: after FREE failures for one login name (or MANY from one address) each
 * further try must wait, 30 s at first and doubling up to 15 minutes. A success clears the name.
 */
export const FREE = 5;
export const MANY = 50;
const BASE_MS = 30_000;
const MAX_MS = 15 * 60_000;
// Failures older than this are forgotten, and so are their entries.
export const FORGET_MS = 60 * 60_000;
const MAX_ENTRIES = 10_000;

export interface Tally { failures: number; last: number }

/** Milliseconds until a name or address with this tally may try again (`free` failures are free). */
export function waitOf(t: Tally | null, free: number, now: number): number {
  if (!t || t.failures < free || now - t.last > FORGET_MS) return 0;
  const delay = Math.min(MAX_MS, BASE_MS * 2 ** (t.failures - free));
  return Math.max(0, t.last + delay - now);
}

/** Where failed sign-ins are counted: this process's memory, or Redis shared by every instance. */
export interface ThrottleStore {
  wait(login: string, ip: string): Promise<number>;
  failed(login: string, ip: string): Promise<void>;
  succeeded(login: string): Promise<void>;
}

export function memoryThrottle(t = new LoginThrottle()): ThrottleStore {
  return {
    wait: async (login, ip) => t.wait(login, ip),
    failed: async (login, ip) => t.failed(login, ip),
    succeeded: async (login) => t.succeeded(login),
  };
}

export class LoginThrottle {
  private tallies = new Map<string, Tally>();
  constructor(private now: () => number = Date.now) {}

  /** Milliseconds until `login` from `ip` may try again; 0 when it may now. */
  wait(login: string, ip: string): number {
    return Math.max(this.waitOf(`u:${login}`, FREE), this.waitOf(`ip:${ip}`, MANY));
  }

  failed(login: string, ip: string) {
    for (const key of [`u:${login}`, `ip:${ip}`]) {
      const t = this.live(key) ?? { failures: 0, last: 0 };
      this.tallies.delete(key);
      this.tallies.set(key, { failures: t.failures + 1, last: this.now() });
    }
    // Map order is insertion order, so the first entries are the stalest.
    for (const key of this.tallies.keys()) {
      if (this.tallies.size <= MAX_ENTRIES) break;
      this.tallies.delete(key);
    }
  }

  succeeded(login: string) {
    this.tallies.delete(`u:${login}`);
  }

  private live(key: string): Tally | null {
    const t = this.tallies.get(key);
    if (!t) return null;
    if (this.now() - t.last > FORGET_MS) {
      this.tallies.delete(key);
      return null;
    }
    return t;
  }

  private waitOf(key: string, free: number): number {
    return waitOf(this.live(key), free, this.now());
  }
}
