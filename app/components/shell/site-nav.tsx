"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useState } from "react";

/** The header's page links; `current` says which paths belong to each, for aria-current. */
export const NAV: { href: string; label: string; current?: (path: string) => boolean }[] = [
  { href: "/", label: "Runs", current: (p) => p === "/" || (p.startsWith("/runs/") && p !== "/runs/new") },
  { href: "/datasets", label: "Datasets" },
  { href: "/evals", label: "Benchmarks" },
  { href: "/alerts", label: "Alerts" },
  { href: "/workers", label: "Workers" },
  { href: "/connect", label: "Connect" },
];

const isCurrent = (l: (typeof NAV)[number], path: string) => (l.current ? l.current(path) : path === l.href || path.startsWith(`${l.href}/`));

/**
 * The signed-in header: page links (the current one marked), the alert badge, New run and the
 * account. Below md the links and the account fold into a menu, so the header fits a phone.
 */
export function SiteNav({ alerts, account }: { alerts: React.ReactNode; account: React.ReactNode }) {
  const path = usePathname();
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [path]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [open]);
  const newRun = path === "/runs/new";
  return (
    <>
      <div id="site-menu" data-testid="site-menu" data-open={String(open)}
        className={`${open ? "flex" : "hidden"} absolute inset-x-0 top-full z-30 flex-col gap-3 border-b border-slate-800 bg-slate-900 px-4 py-3 shadow-lg md:contents`}>
        <ul className="flex flex-col gap-1 md:order-1 md:flex-row md:items-center md:gap-1" data-testid="nav-links">
          {NAV.map((l) => {
            const on = isCurrent(l, path);
            return (
              <li key={l.href}>
                <Link href={l.href} aria-current={on ? "page" : undefined} data-testid={`nav-${l.label.toLowerCase()}`}
                  className={`block rounded-md px-2.5 py-1 text-sm ${on ? "bg-slate-800 font-medium text-white ring-1 ring-inset ring-slate-600" : "text-slate-400 hover:bg-slate-800/60 hover:text-slate-100"}`}>
                  {l.label}
                </Link>
              </li>
            );
          })}
        </ul>
        <div className="border-t border-slate-800 px-2.5 pt-3 md:order-3 md:border-0 md:px-0 md:pt-0">{account}</div>
      </div>
      <div className="ml-auto flex items-center gap-3 md:order-2 md:gap-4">
        {alerts}
        <Link href="/runs/new" aria-current={newRun ? "page" : undefined} data-testid="nav-new-run"
          className={`whitespace-nowrap rounded-md bg-indigo-500 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-400 ${newRun ? "ring-2 ring-indigo-200/70 ring-offset-2 ring-offset-slate-900" : ""}`}>
          New run
        </Link>
        <button type="button" onClick={() => setOpen((o) => !o)} aria-expanded={open} aria-controls="site-menu" aria-label="Menu" data-testid="menu-button"
          className="rounded-md border border-slate-700 px-2 py-1 text-slate-300 hover:bg-slate-800 md:hidden">
          <svg viewBox="0 0 20 20" fill="currentColor" aria-hidden className="h-4 w-4">
            {open ? <path d="M5.3 4.2 10 8.9l4.7-4.7 1.1 1.1L11.1 10l4.7 4.7-1.1 1.1L10 11.1l-4.7 4.7-1.1-1.1L8.9 10 4.2 5.3z" /> : <path d="M3 5h14v1.5H3zm0 4.25h14v1.5H3zM3 13.5h14V15H3z" />}
          </svg>
        </button>
      </div>
    </>
  );
}
