"use client";
import { useEffect, useState } from "react";

/**
 * "12 s ago", "4 min ago", "3 h ago", "2 d ago"; re-rendered every second so it stays true. Null
 * until mounted: the server's clock would not match the browser's first render.
 */
export function useAgo(at: number | null): string | null {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  if (at === null || now === null) return null;
  return ago(Math.max(0, now - at));
}

export function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}
