import crypto from "node:crypto";

export function newToken() {
  return crypto.randomBytes(24).toString("hex");
}

export function timingSafeEqual(a: string, b: string) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
