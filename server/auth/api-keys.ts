import { TRPCError } from "@trpc/server";
import { ROLE_SCOPES, SCOPES, type Role, type Scope } from "../../lib/auth";
import type { Db } from "../db/db";
import type { Ended, UserInfo } from "./principal";
import { randomToken, sameSecret, sha256 } from "./tokens";

const KEY_RE = /^(pdk_[A-Za-z0-9_-]{8})_([A-Za-z0-9_-]{32,64})$/;
// lastUsedAt is written at most this often per key.
const TOUCH_MS = 60_000;

export interface KeyRow { id: string; userId: string; login: string; name: string; prefix: string; scopes: Scope[]; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null }

const scopesOf = (s: string) => s.split(",").filter((x): x is Scope => (SCOPES as readonly string[]).includes(x));

export class ApiKeyService {
  constructor(private db: Db, private ended: (e: Ended) => void = () => {}) {}

  /** The only time the whole key exists outside its holder: it is returned here and stored as a hash. */
  async create(user: UserInfo, input: { name: string; scopes: Scope[] }): Promise<{ key: string; row: KeyRow }> {
    const beyond = input.scopes.filter((s) => !ROLE_SCOPES[user.role].includes(s));
    if (beyond.length) throw new TRPCError({ code: "FORBIDDEN", message: `A ${user.role} cannot hold the ${beyond.join(", ")} scope` });
    const prefix = `pdk_${randomToken(6)}`;
    const key = `${prefix}_${randomToken(32)}`;
    const created = await this.db.apiKey.create({
      data: { userId: user.id, name: input.name, prefix, secretHash: sha256(key), scopes: input.scopes.join(",") },
      include: { user: true },
    });
    return { key, row: toRow(created) };
  }

  async list(userId: string | null): Promise<KeyRow[]> {
    const rows = await this.db.apiKey.findMany({ where: userId ? { userId } : {}, include: { user: true }, orderBy: { createdAt: "desc" } });
    return rows.map(toRow);
  }

  /** Revokes one key; `ownerId` limits it to that user's keys (null: any key, for admins). */
  async revoke(id: string, ownerId: string | null): Promise<KeyRow> {
    const row = await this.db.apiKey.findUnique({ where: { id } });
    if (!row || (ownerId && row.userId !== ownerId)) throw new TRPCError({ code: "NOT_FOUND", message: `No API key with id ${id}` });
    const updated = await this.db.apiKey.update({ where: { id }, data: { revokedAt: row.revokedAt ?? new Date() }, include: { user: true } });
    this.ended({ keyId: id });
    return toRow(updated);
  }

  /** The key's holder and scopes, or null for a malformed, unknown, revoked or disabled key. */
  async resolve(key: string): Promise<{ keyId: string; user: UserInfo; scopes: Scope[] } | null> {
    const m = KEY_RE.exec(key);
    if (!m) return null;
    const row = await this.db.apiKey.findUnique({ where: { prefix: m[1] }, include: { user: true } });
    if (!row || row.revokedAt || row.user.disabled || !sameSecret(sha256(key), row.secretHash)) return null;
    const now = Date.now();
    if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > TOUCH_MS) {
      await this.db.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } });
    }
    const { id, login, name, role } = row.user;
    return { keyId: row.id, user: { id, login, name, role: role as Role }, scopes: scopesOf(row.scopes) };
  }
}

function toRow(r: { id: string; userId: string; name: string; prefix: string; scopes: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null; user: { login: string } }): KeyRow {
  return { id: r.id, userId: r.userId, login: r.user.login, name: r.name, prefix: r.prefix, scopes: scopesOf(r.scopes), createdAt: r.createdAt, lastUsedAt: r.lastUsedAt, revokedAt: r.revokedAt };
}
