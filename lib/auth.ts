import { z } from "zod";

export const ROLES = ["viewer", "member", "admin"] as const;
export type Role = (typeof ROLES)[number];
export const SCOPES = ["read", "write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** The scopes a role may hold, on its keys as in its sessions. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  viewer: ["read"],
  member: ["read", "write"],
  admin: ["read", "write", "admin"],
};

export const MIN_PASSWORD = 12;
// The passwords tried first by anyone guessing; a long one of these is still weak.
const COMMON = ["password", "123456", "qwerty", "letmein", "welcome", "admin", "changeme", "iloveyou", "abc123", "111111"];

/** Why a password is too weak, or null when it will do. */
export function passwordProblem(password: string, login?: string): string | null {
  if (password.length < MIN_PASSWORD) return `Password too short: use at least ${MIN_PASSWORD} characters (got ${password.length})`;
  if (new Set(password).size < 5) return "Password too weak: use at least 5 different characters";
  const lower = password.toLowerCase();
  if (COMMON.some((c) => lower.includes(c) && c.length * 2 >= lower.length)) return "Password too weak: it is mostly a common password";
  if (login && login.length >= 3 && lower.includes(login.toLowerCase())) return "Password too weak: it contains the login name";
  return null;
}

export const LoginName = z
  .string()
  .trim()
  .toLowerCase()
  .min(2, "Login name: at least 2 characters")
  .max(120)
  .regex(/^[a-z0-9][a-z0-9._@+-]*$/, "Login name: letters, digits and . _ @ + - only (an email works)");
export const DisplayName = z.string().trim().min(1, "Give a name").max(120).regex(/^[^\u0000-\u001f\u007f]*$/, "Name: no control characters");
export const Password = z.string().max(1024, "Password: at most 1024 characters");

/** A new password: the policy checked against the login it belongs to. */
const withPolicy = <T extends { login: string; password: string }>(x: T, ctx: z.RefinementCtx) => {
  const problem = passwordProblem(x.password, x.login);
  if (problem) ctx.addIssue({ code: "custom", path: ["password"], message: problem });
};

export const LoginInput = z.object({ login: z.string().trim().toLowerCase().min(1, "Give your login name").max(120), password: Password.min(1, "Give your password") });
export const NewUser = z.object({ login: LoginName, name: DisplayName, password: Password, role: z.enum(ROLES) }).superRefine(withPolicy);
export const SetupInput = z.object({ token: z.string().max(200).optional(), login: LoginName, name: DisplayName, password: Password }).superRefine(withPolicy);
export const UserUpdate = z.object({ id: z.string().min(1).max(64), role: z.enum(ROLES).optional(), disabled: z.boolean().optional() });
export const PasswordReset = z.object({ id: z.string().min(1).max(64), password: Password }).superRefine((x, ctx) => {
  const problem = passwordProblem(x.password);
  if (problem) ctx.addIssue({ code: "custom", path: ["password"], message: problem });
});
export const NewApiKey = z.object({
  name: DisplayName,
  scopes: z.array(z.enum(SCOPES)).min(1, "Pick at least one scope").max(3).transform((s) => [...new Set(s)]),
});

/** Where a page goes back to after sign-in: a path on this site only, never another site. */
export function safeNext(next: string | null | undefined): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}
