import type { Redis } from "ioredis";
import { FORGET_MS, FREE, LoginThrottle, MANY, waitOf, type Tally, type ThrottleStore } from "./throttle";

/**
 * The login throttle in Redis, so failures on any instance count on all of them, and a success on
 * any clears the name on all (scale-out). Each failure is also counted in this process's memory,
 * which answers instead while Redis is away: the throttle then holds per instance, as it did
 * before, and never lets a guess through unchecked because Redis blinked.
 */
export class RedisThrottle implements ThrottleStore {
  private local: LoginThrottle;

  constructor(
    private redis: Redis,
    private prefix: string,
    private now: () => number = Date.now,
  ) {
    this.local = new LoginThrottle(now);
  }

  private keys(login: string, ip: string) {
    return [`${this.prefix}:login:u:${login}`, `${this.prefix}:login:ip:${ip}`] as const;
  }

  async wait(login: string, ip: string): Promise<number> {
    const [user, addr] = this.keys(login, ip);
    try {
      const replies = await this.redis.pipeline().hmget(user, "failures", "last").hmget(addr, "failures", "last").exec();
      const [u, a] = (replies ?? []).map(([err, v]) => {
        if (err) throw err;
        return tally(v as (string | null)[]);
      });
      const now = this.now();
      return Math.max(waitOf(u, FREE, now), waitOf(a, MANY, now));
    } catch {
      return this.local.wait(login, ip); // Redis is away (its client logs that once)
    }
  }

  async failed(login: string, ip: string) {
    this.local.failed(login, ip);
    const now = String(this.now());
    const multi = this.redis.multi();
    for (const key of this.keys(login, ip)) multi.hincrby(key, "failures", 1).hset(key, "last", now).pexpire(key, FORGET_MS);
    await multi.exec().catch(() => {});
  }

  async succeeded(login: string) {
    this.local.succeeded(login);
    await this.redis.del(this.keys(login, "")[0]).catch(() => {});
  }
}

function tally([failures, last]: (string | null)[]): Tally | null {
  return failures === null || last === null ? null : { failures: Number(failures), last: Number(last) };
}
