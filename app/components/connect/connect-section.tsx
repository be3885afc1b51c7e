import { ConnectCode } from "./connect-code";
import type { Snippet } from "./connect-snippets";

/** A numbered set-up on the Connect page: what it is for, its snippets, and any notes under them. */
export function ConnectSection({ id, step, title, intro, snippets, children }: {
  id: string; step: number; title: string; intro: React.ReactNode; snippets: Snippet[]; children?: React.ReactNode;
}) {
  return (
    <section id={id} className="space-y-3 rounded-lg border border-slate-800 bg-slate-900/40 p-4" data-testid={`connect-${id}`}>
      <h2 className="flex items-baseline gap-2 text-sm font-semibold text-slate-200">
        <span className="flex h-5 w-5 shrink-0 items-center justify-center rounded-full bg-slate-800 text-xs text-slate-400">{step}</span>
        {title}
      </h2>
      <div className="text-sm text-slate-400">{intro}</div>
      {snippets.map((s) => <ConnectCode key={s.id} snippet={s} />)}
      {children}
    </section>
  );
}
