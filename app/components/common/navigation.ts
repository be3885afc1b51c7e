"use client";
import { useRouter } from "next/navigation";
import { useMemo } from "react";

/**
 * Client navigations begun since the page loaded. The router takes a `history.replaceState` as a
 * navigation of its own, so a URL update that lands while another navigation is still loading
 * cancels it: the user clicks "Datasets" and stays where they were. Every update checks this count.
 */
let navigations = 0;

const here = () => window.location.pathname + window.location.search;

/** A plain left click on a link that opens in this tab is a navigation. */
function countLinkClick(e: MouseEvent) {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const link = e.target instanceof Element ? e.target.closest("a[href]") : null;
  if (link && link.getAttribute("target") !== "_blank" && !link.hasAttribute("download")) navigations++;
}

// One listener for the page's life: it only counts, and several updates may be pending at once.
let countingClicks = false;

/**
 * Puts `target()` in the address bar once a setting has settled for `delayMs`, without a reload,
 * unless a navigation has begun in the meantime. Returns the cancel, for a `useEffect` to return.
 */
export function replaceUrlSoon(target: () => string, delayMs = 250): () => void {
  if (!countingClicks) document.addEventListener("click", countLinkClick, true);
  countingClicks = true;
  const started = navigations;
  const timer = setTimeout(() => {
    const href = target();
    if (navigations === started && href !== here()) window.history.replaceState(null, "", href);
  }, delayMs);
  return () => clearTimeout(timer);
}

/** `router.push` that first cancels any pending URL update (see `navigations`). */
export function useNavigate(): (href: string) => void {
  const router = useRouter();
  return useMemo(() => (href: string) => {
    navigations++;
    router.push(href);
  }, [router]);
}
