"use client";
import { usePathname } from "next/navigation";

const SIGNED_OUT_PAGES = ["/login", "/setup"];

/** The header's links and live badges, left out on the pages one sees before signing in (they would only fail). */
export function SignedInOnly({ children }: { children: React.ReactNode }) {
  const path = usePathname();
  return SIGNED_OUT_PAGES.includes(path) ? null : <>{children}</>;
}
