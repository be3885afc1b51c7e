"use client";
import { useState } from "react";
import { DatasetSpec, DEFAULT_SOURCES, SOURCE_KINDS, type DatasetSource } from "../../../lib/dataset-spec";
import { serverFieldErrors, trpc } from "../../lib/trpc";
import { uploadFile, uploadName } from "../../lib/upload";
import { useNavigate } from "../common/navigation";

const defaults = DatasetSpec.parse({ name: "mixture" });

/** Settings shown as inputs: path in the spec, label, hint. Booleans are checkboxes. */
const SETTINGS: { group: string; fields: [string, string, string][] }[] = [
  { group: "Cleaning", fields: [
    ["clean.stripMarkup", "Strip markup", "HTML/CSS/JS out with a real parser; mail headers dropped"],
    ["clean.normalize", "Normalise", "NFKC Unicode, control characters out, whitespace collapsed"],
  ] },
  { group: "Deduplication", fields: [
    ["dedup.exact", "Exact documents", "Same text after normalising (sha256)"],
    ["dedup.paragraph", "Exact paragraphs", "Repeated paragraphs across the corpus (boilerplate)"],
    ["dedup.near", "Near-duplicates", "MinHash + LSH over word shingles"],
    ["dedup.jaccard", "Jaccard threshold", "0.7–0.9; pairs at or above it are duplicates"],
    ["dedup.numPerm", "MinHash permutations", "64–256; more is more exact"],
    ["dedup.shingleSize", "Shingle size (words)", "5 is usual"],
  ] },
  { group: "Quality filters", fields: [
    ["quality.enabled", "Quality filters", "Gopher-style heuristics; code is skipped"],
    ["quality.minEntropy", "Min char entropy (bits)", "English prose ≈ 4.0–4.5"],
    ["quality.maxRepeatedNgramFraction", "Max repeated 3-gram share", "0.18–0.3"],
    ["quality.maxSymbolToWordRatio", "Max symbols per word", "0.1"],
    ["quality.minMeanWordLength", "Min mean word length", "3"],
    ["quality.maxMeanWordLength", "Max mean word length", "10"],
    ["quality.minScriptShare", "Min Latin-script letters", "0.8 for English"],
    ["quality.perplexity.enabled", "Perplexity filter", "Character n-gram model of a clean domain"],
    ["quality.perplexity.referenceDomain", "Reference domain", "books is the cleanest default"],
    ["quality.perplexity.maxPerplexity", "Max perplexity", "Lower is stricter"],
  ] },
  { group: "Safety and tokenizer", fields: [
    ["safety.enabled", "Harmful-content filter", "Keyword and pattern list with a score"],
    ["safety.threshold", "Flag score", "Weighted hits per 1,000 words"],
    ["tokenizer.vocabSize", "Vocabulary size", "256–16384; byte-level BPE"],
    ["tokenizer.trainBytes", "BPE training bytes", "A sample across domains; 4 MB trains in seconds"],
    ["valFraction", "Validation share", "Documents held out per domain; 0.01–0.05"],
    ["seed", "Seed", "Shuffles documents before the split"],
  ] },
];

function getPath(o: unknown, p: string): unknown {
  return p.split(".").reduce((x: any, k) => x?.[k], o);
}
function setPath(o: any, p: string, v: unknown) {
  const keys = p.split(".");
  const last = keys.pop()!;
  let x = o;
  for (const k of keys) x = x[k] ??= {};
  x[last] = v;
}

type Row = DatasetSource & { enabled: boolean };

export function DatasetForm() {
  const navigate = useNavigate();
  const [name, setName] = useState("mixture");
  const [rows, setRows] = useState<Row[]>(DEFAULT_SOURCES.map((s) => ({ ...s, enabled: true })));
  const [values, setValues] = useState<Record<string, string | boolean>>(() =>
    Object.fromEntries(SETTINGS.flatMap((g) => g.fields).map(([p]) => {
      const v = getPath(defaults, p);
      return [p, typeof v === "boolean" ? v : String(v)];
    })),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  function build() {
    const spec: any = { name, sources: rows.filter((r) => r.enabled).map(({ enabled: _e, ...s }) => ({ ...s, weight: Number(s.weight), maxDocuments: Number(s.maxDocuments) })) };
    for (const [p, v] of Object.entries(values)) {
      const isText = typeof getPath(defaults, p) === "string";
      setPath(spec, p, typeof v === "boolean" || isText ? v : v.trim() === "" ? NaN : Number(v));
    }
    return spec;
  }

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const parsed = DatasetSpec.safeParse(build());
    if (!parsed.success) {
      const out: Record<string, string> = {};
      for (const i of parsed.error.issues) out[i.path.join(".")] ??= i.message;
      return setErrors(out);
    }
    setErrors({});
    setBusy(true);
    try {
      const d = await trpc.dataset.prepare.mutate(parsed.data);
      navigate(`/datasets/${d.id}`);
    } catch (err) {
      setErrors(serverFieldErrors(err) ?? { form: err instanceof Error ? err.message : String(err) });
      setBusy(false);
    }
  }

  const input = "w-full rounded-md border border-slate-700 bg-slate-950 px-2 py-1 font-mono text-sm text-slate-100";
  const setRow = (i: number, patch: Partial<Row>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  /** Files from this machine are streamed into a fresh folder under DATA_DIR/uploads, which becomes the source's path. */
  async function uploadFolder(i: number, files: File[]) {
    if (files.length === 0) return;
    const folder = `upload-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    try {
      let at = "";
      for (const f of files) at = (await uploadFile(`/api/upload/folder/${folder}/${uploadName(f.name)}`, f)).folder;
      setRow(i, { path: at });
    } catch (err) {
      setErrors({ [`sources.${i}.path`]: err instanceof Error ? err.message : String(err) });
    }
  }
  return (
    <form onSubmit={submit} noValidate className="space-y-6" data-testid="dataset-form">
      <div className="max-w-md">
        <label htmlFor="ds-name" className="block text-sm font-medium text-slate-300">Name</label>
        <input id="ds-name" value={name} onChange={(e) => setName(e.target.value)} className={`mt-1 ${input}`} />
        {errors.name && <p className="mt-1 text-xs text-rose-300">{errors.name}</p>}
      </div>
      <fieldset className="rounded-lg border border-slate-800 p-4">
        <legend className="px-1 text-sm font-semibold text-slate-300">Sources (domains)</legend>
        <table className="w-full text-sm">
          <thead className="text-left text-xs uppercase text-slate-500">
            <tr><th className="py-1">Use</th><th>Domain</th><th>Source</th><th>Folder</th><th>Weight</th><th>Max docs (0 = all)</th></tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i} className="border-t border-slate-800">
                <td className="py-1"><input type="checkbox" checked={r.enabled} onChange={(e) => setRow(i, { enabled: e.target.checked })} aria-label={`use ${r.domain}`} /></td>
                <td className="pr-2"><input value={r.domain} onChange={(e) => setRow(i, { domain: e.target.value })} className={input} aria-label="domain" /></td>
                <td className="pr-2">
                  <select value={r.kind} onChange={(e) => setRow(i, { kind: e.target.value as Row["kind"] })} className={input} aria-label="source kind">
                    {SOURCE_KINDS.map((k) => <option key={k}>{k}</option>)}
                  </select>
                </td>
                <td className="pr-2">
                  <input value={r.path ?? ""} disabled={r.kind !== "folder"} placeholder={r.kind === "folder" ? "a folder inside DATA_DIR or IMPORT_ROOTS" : "—"} onChange={(e) => setRow(i, { path: e.target.value || undefined })} className={input} aria-label="folder path" />
                  {r.kind === "folder" && (
                    <label className="mt-1 block text-xs text-slate-400">or upload files
                      <input type="file" multiple accept=".txt,.jsonl,.html,.htm" className="ml-1 text-xs" data-testid={`folder-upload-${i}`}
                        onChange={(e) => void uploadFolder(i, [...(e.target.files ?? [])])} />
                    </label>
                  )}
                </td>
                <td className="w-24 pr-2"><input value={String(r.weight)} onChange={(e) => setRow(i, { weight: e.target.value as unknown as number })} className={input} aria-label={`weight ${r.domain}`} /></td>
                <td className="w-32"><input value={String(r.maxDocuments)} onChange={(e) => setRow(i, { maxDocuments: e.target.value as unknown as number })} className={input} aria-label="max documents" /></td>
              </tr>
            ))}
          </tbody>
        </table>
        {Object.entries(errors).filter(([k]) => k.startsWith("sources")).map(([k, m]) => <p key={k} className="mt-1 text-xs text-rose-300">{k}: {m}</p>)}
        <button type="button" onClick={() => setRows((rs) => [...rs, { domain: `custom${rs.length}`, kind: "folder", path: "", weight: 10, maxDocuments: 0, enabled: true }])}
          className="mt-2 rounded border border-slate-700 px-2 py-1 text-xs hover:bg-slate-800">+ Add a folder of .txt / .jsonl / .html</button>
        <p className="mt-2 text-xs text-slate-500">Weights are normalised over the domains that have documents after cleaning. The usual recipe: web 40–50%, books 20–30%, code 5–15%, dialogue 5–15%.</p>
      </fieldset>
      <div className="grid gap-4 lg:grid-cols-2">
        {SETTINGS.map((g) => (
          <fieldset key={g.group} className="rounded-lg border border-slate-800 p-4">
            <legend className="px-1 text-sm font-semibold text-slate-300">{g.group}</legend>
            <div className="grid gap-3 sm:grid-cols-2">
              {g.fields.map(([p, label, hint]) => {
                const v = values[p];
                return (
                  <div key={p}>
                    {typeof v === "boolean" ? (
                      <label className="flex items-center gap-2 text-sm text-slate-300">
                        <input type="checkbox" checked={v} onChange={(e) => setValues({ ...values, [p]: e.target.checked })} /> {label}
                      </label>
                    ) : (
                      <>
                        <label htmlFor={`ds-${p}`} className="block text-sm text-slate-300">{label}</label>
                        <input id={`ds-${p}`} value={v} onChange={(e) => setValues({ ...values, [p]: e.target.value })} className={`mt-1 ${input} ${errors[p] ? "border-rose-500" : ""}`} />
                      </>
                    )}
                    <p className={`mt-0.5 text-xs ${errors[p] ? "text-rose-300" : "text-slate-500"}`}>{errors[p] ?? hint}</p>
                  </div>
                );
              })}
            </div>
          </fieldset>
        ))}
      </div>
      {errors.form && <p role="alert" className="text-sm text-rose-300">{errors.form}</p>}
      <button type="submit" disabled={busy} className="rounded-md bg-indigo-500 px-4 py-2 font-medium text-white hover:bg-indigo-400 disabled:opacity-50">
        {busy ? "Starting…" : "Prepare dataset"}
      </button>
    </form>
  );
}
