import type { Role } from "../../lib/auth";
import type { Db } from "../db/db";
import type { Ended, UserInfo } from "./principal";
import { randomToken, sha256 } from "./tokens";

// Refresh lastSeenAt (and slide the expiry) at most this often, so reads don't each write.
const TOUCH_MS = 60_000;

export interface LiveSession { sessionId: string; user: UserInfo; /** The expiry moved: send the cookie again. */ slid: boolean }

export class SessionService {
  constructor(private db: Db, private ttlMs: number, private ended: (e: Ended) => void = () => {}) {}

  get ttlSeconds() { return Math.round(this.ttlMs / 1000); }

  /** A new session; the token goes to the cookie, its hash to the database. */
  async create(userId: string): Promise<string> {
    const token = randomToken();
    await this.db.session.create({ data: { tokenHash: sha256(token), userId, expiresAt: new Date(Date.now() + this.ttlMs) } });
    return token;
  }

  async resolve(token: string): Promise<LiveSession | null> {
    const row = await this.db.session.findUnique({ where: { tokenHash: sha256(token) }, include: { user: true } });
    const now = Date.now();
    if (!row || row.user.disabled) return null;
    if (row.expiresAt.getTime() <= now) {
      await this.db.session.deleteMany({ where: { id: row.id } });
      return null;
    }
    const slid = now - row.lastSeenAt.getTime() > TOUCH_MS;
    if (slid) await this.db.session.update({ where: { id: row.id }, data: { lastSeenAt: new Date(now), expiresAt: new Date(now + this.ttlMs) } });
    const { id, login, name, role } = row.user;
    return { sessionId: row.id, user: { id, login, name, role: role as Role }, slid };
  }

  async destroy(token: string) {
    const row = await this.db.session.findUnique({ where: { tokenHash: sha256(token) }, select: { id: true } });
    if (!row) return;
    await this.db.session.deleteMany({ where: { id: row.id } });
    this.ended({ sessionId: row.id });
  }

  /** Signs a user out everywhere (disabled, or a new password). */
  async destroyForUser(userId: string) {
    await this.db.session.deleteMany({ where: { userId } });
    this.ended({ userId, only: "session" });
  }

  async pruneExpired() {
    await this.db.session.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  }
}
