import Link from "next/link";

export type Lineage = {
  parent: { id: string; name: string; step: number } | null;
  forks: { id: string; name: string; step: number; status: string }[];
};

/** Where this run came from and what was forked from it. */
export function RunLineage({ lineage }: { lineage: Lineage }) {
  if (!lineage.parent && lineage.forks.length === 0) return null;
  const link = "text-indigo-300 underline-offset-2 hover:underline";
  return (
    <p className="flex flex-wrap gap-x-4 gap-y-1 text-sm text-slate-400" data-testid="run-lineage">
      {lineage.parent && (
        <span data-testid="lineage-parent">
          Forked from <Link href={`/runs/${lineage.parent.id}`} className={link}>{lineage.parent.name}</Link> at step {lineage.parent.step}
        </span>
      )}
      {lineage.forks.length > 0 && (
        <span data-testid="lineage-forks">
          Forks:{" "}
          {lineage.forks.map((f, i) => (
            <span key={f.id}>
              {i > 0 && ", "}
              <Link href={`/runs/${f.id}`} className={link}>{f.name}</Link> (from step {f.step}, {f.status})
            </span>
          ))}
        </span>
      )}
    </p>
  );
}
