"use client";
import { useEffect, useRef, useState } from "react";
import { useNavigate } from "../common/navigation";

/** g then a letter: where it goes. */
const GO: Record<string, { href: string; label: string }> = {
  r: { href: "/", label: "Runs" },
  c: { href: "/compare", label: "Compare" },
  d: { href: "/datasets", label: "Datasets" },
  b: { href: "/evals", label: "Benchmarks" },
  a: { href: "/alerts", label: "Alerts" },
  w: { href: "/workers", label: "Workers" },
};
/** How long after g its second key counts. */
const SEQUENCE_MS = 1500;

const LIST: [string[], string][] = [
  ...Object.entries(GO).map(([k, g]): [string[], string] => [["g", k], `Go to ${g.label}`]),
  [["n"], "New run"],
  [["/"], "Search or filter on this page"],
  [["?"], "Show or hide this list"],
  [["Esc"], "Close this list or the menu"],
];

/** Keys typed into a field are text, never shortcuts. */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
  return target.tagName === "INPUT" && !["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"].includes((target as HTMLInputElement).type);
}

/** The page's search box, else its first text field. */
function searchField(): HTMLElement | null {
  const visible = (el: HTMLElement) => el.offsetParent !== null;
  const all = [...document.querySelectorAll<HTMLElement>("main input[type=search], main [data-shortcut-search], main input:not([type]), main input[type=text]")];
  return all.find(visible) ?? null;
}

/** Keyboard shortcuts on every signed-in page, and the overlay that lists them (opened with ?). */
export function KeyboardShortcuts() {
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const gAt = useRef(0);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "Escape") return setOpen(false);
      if (typing(e.target)) return;
      const afterG = Date.now() - gAt.current < SEQUENCE_MS;
      gAt.current = 0;
      if (afterG && GO[e.key]) {
        e.preventDefault();
        setOpen(false);
        return navigate(GO[e.key].href);
      }
      if (e.key === "g") gAt.current = Date.now();
      else if (e.key === "?") setOpen((o) => !o);
      else if (e.key === "n") {
        setOpen(false);
        navigate("/runs/new");
      } else if (e.key === "/") {
        const field = searchField();
        if (!field) return;
        e.preventDefault();
        setOpen(false);
        field.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [navigate]);
  if (!open) return null;
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-slate-950/70 p-4" onClick={() => setOpen(false)}>
      <div role="dialog" aria-modal="true" aria-labelledby="shortcuts-title" data-testid="shortcuts-overlay" onClick={(e) => e.stopPropagation()}
        className="w-full max-w-sm rounded-lg border border-slate-700 bg-slate-900 p-5 shadow-xl">
        <div className="mb-3 flex items-center">
          <h2 id="shortcuts-title" className="text-sm font-semibold text-slate-100">Keyboard shortcuts</h2>
          <button type="button" onClick={() => setOpen(false)} aria-label="Close" className="ml-auto rounded px-1.5 text-slate-400 hover:bg-slate-800 hover:text-slate-100">×</button>
        </div>
        <dl className="grid grid-cols-[6rem_1fr] gap-y-1.5 text-sm">
          {LIST.map(([keys, what]) => (
            <div key={what} className="contents">
              <dt className="flex gap-1">{keys.map((k) => <kbd key={k} className="rounded border border-slate-600 bg-slate-800 px-1.5 font-mono text-xs text-slate-200">{k}</kbd>)}</dt>
              <dd className="text-slate-300">{what}</dd>
            </div>
          ))}
        </dl>
        <p className="mt-3 text-xs text-slate-500">Shortcuts do nothing while you type in a field.</p>
      </div>
    </div>
  );
}
