export const SESSION_COOKIE = "pretrain_session";

/** The value of one cookie in a Cookie header, or null. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/** httpOnly so page scripts cannot read it; SameSite=Lax so other sites' forms and fetches don't carry it. */
export function sessionCookie(token: string, maxAgeS: number, secure: boolean): string {
  return [`${SESSION_COOKIE}=${encodeURIComponent(token)}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${maxAgeS}`, ...(secure ? ["Secure"] : [])].join("; ");
}

export const clearedCookie = (secure: boolean) => sessionCookie("", 0, secure);
