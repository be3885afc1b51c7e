import { TRPCError } from "@trpc/server";
import type { Role } from "../../lib/auth";
import type { Db } from "../db/db";
import { dummyHash, hashPassword, verifyPassword } from "./password";
import type { Ended, UserInfo } from "./principal";
import type { SessionService } from "./sessions";

export interface UserRow extends UserInfo { disabled: boolean; createdAt: Date }

/** Serializable on both engines; under PostgreSQL the loser of a race fails instead of acting on what it read. */
const SERIALIZABLE = { isolationLevel: "Serializable" } as const;

const toRow = (u: { id: string; login: string; name: string; role: string; disabled: boolean; createdAt: Date }): UserRow =>
  ({ id: u.id, login: u.login, name: u.name, role: u.role as Role, disabled: u.disabled, createdAt: u.createdAt });

export class UserService {
  constructor(private db: Db, private sessions: SessionService, private ended: (e: Ended) => void = () => {}) {}

  count() {
    return this.db.user.count();
  }

  async list(): Promise<UserRow[]> {
    return (await this.db.user.findMany({ orderBy: { createdAt: "asc" } })).map(toRow);
  }

  async create(input: { login: string; name: string; password: string; role: Role }): Promise<UserRow> {
    const passwordHash = await hashPassword(input.password);
    // One serializable transaction, so two first users racing cannot both skip the admin rule
    // (SQLite's transactions always are; PostgreSQL's default would let both read zero users).
    return this.db.$transaction(async (tx) => {
      if (await tx.user.findUnique({ where: { login: input.login } })) {
        throw new TRPCError({ code: "CONFLICT", message: `A user named ${input.login} exists already` });
      }
      if (input.role !== "admin" && (await tx.user.count()) === 0) {
        throw new TRPCError({ code: "BAD_REQUEST", message: "The first user must be an admin, or no one could manage the others" });
      }
      return toRow(await tx.user.create({ data: { login: input.login, name: input.name, role: input.role, passwordHash } }));
    }, SERIALIZABLE);
  }

  /** Creates the first admin only while there is no user at all; false when one exists. */
  async createFirstAdmin(input: { login: string; name: string; password: string }): Promise<UserRow | null> {
    const passwordHash = await hashPassword(input.password);
    return this.db.$transaction(async (tx) => {
      if ((await tx.user.count()) > 0) return null;
      return toRow(await tx.user.create({ data: { login: input.login, name: input.name, role: "admin", passwordHash } }));
    }, SERIALIZABLE);
  }

  async update(id: string, change: { role?: Role; disabled?: boolean }): Promise<UserRow> {
    const user = await this.get(id);
    const losesAdmin = user.role === "admin" && !user.disabled && ((change.role && change.role !== "admin") || change.disabled === true);
    if (losesAdmin) {
      const admins = await this.db.user.count({ where: { role: "admin", disabled: false } });
      if (admins <= 1) throw new TRPCError({ code: "BAD_REQUEST", message: "At least one enabled admin must remain" });
    }
    const updated = await this.db.user.update({ where: { id }, data: change });
    if (change.disabled) {
      await this.sessions.destroyForUser(id);
      this.ended({ userId: id });
    }
    return toRow(updated);
  }

  /** A new password signs the user out everywhere. */
  async resetPassword(id: string, password: string): Promise<UserRow> {
    await this.get(id);
    const updated = await this.db.user.update({ where: { id }, data: { passwordHash: await hashPassword(password) } });
    await this.sessions.destroyForUser(id);
    return toRow(updated);
  }

  /** The user when the password is right; the work done is the same for an unknown login. */
  async verify(login: string, password: string): Promise<UserRow | null> {
    const user = await this.db.user.findUnique({ where: { login } });
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
    return user && ok ? toRow(user) : null;
  }

  private async get(id: string) {
    const user = await this.db.user.findUnique({ where: { id } });
    if (!user) throw new TRPCError({ code: "NOT_FOUND", message: `No user with id ${id}` });
    return user;
  }
}
