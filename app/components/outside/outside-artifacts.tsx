import { fmtBytes, fmtTime, fmtWhen } from "../../lib/format";

type Artifact = { path: string; bytes: number; modifiedAt: string };

/** Files the run's trainer uploaded through the artifact proxy, each a download. */
export function OutsideArtifacts({ runId, experimentId, artifacts }: { runId: string; experimentId: number | null; artifacts: Artifact[] }) {
  if (artifacts.length === 0) return null;
  const href = (p: string) => `/api/2.0/mlflow-artifacts/artifacts/${experimentId ?? 0}/${encodeURIComponent(runId)}/artifacts/${p.split("/").map(encodeURIComponent).join("/")}`;
  return (
    <section className="min-w-0 rounded-lg border border-slate-800 p-4" data-testid="artifacts">
      <h2 className="mb-2 text-sm font-semibold text-slate-300">Artifacts <span className="ml-1 text-xs font-normal text-slate-500">{artifacts.length}</span></h2>
      <div className="max-h-80 overflow-auto">
        <table className="w-full text-sm">
          <thead className="text-left text-xs uppercase text-slate-500">
            <tr><th className="py-1 pr-3 font-medium">Path</th><th className="pr-3 text-right font-medium">Size</th><th className="font-medium">Saved</th></tr>
          </thead>
          <tbody className="font-mono text-xs">
            {artifacts.map((a) => (
              <tr key={a.path} className="border-t border-slate-800">
                <td className="py-1 pr-3 [overflow-wrap:anywhere]">
                  <a href={href(a.path)} download className="text-indigo-300 hover:underline" data-testid="artifact-link">{a.path}</a>
                </td>
                <td className="whitespace-nowrap pr-3 text-right tabular-nums text-slate-300">{fmtBytes(a.bytes)}</td>
                <td className="whitespace-nowrap text-slate-400" title={fmtTime(a.modifiedAt)}>{fmtWhen(a.modifiedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
