// The entry of connect/: the Connect page (app/connect/page.tsx) renders this; the other files are its parts.
"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { ROLE_SCOPES } from "../../../lib/auth";
import { trpc } from "../../lib/trpc";
import { useMe } from "../../lib/use-me";
import { messageOf } from "../common/message-of";
import { ConnectSection } from "./connect-section";
import { huggingFace, KEY_PLACEHOLDER, lightning, mlflowEnv, nanoGpt, type ConnectContext } from "./connect-snippets";
import { TensorboardImport } from "./tensorboard-import";

const input = "rounded-md border border-slate-700 bg-slate-950 px-2 py-1 text-sm text-slate-100";
const code = "font-mono text-slate-300";

/**
 * The Connect page's body: makes a read+write key for a trainer (shown this once) and fills every
 * set-up with it and this server's URL; in local mode no key is needed and the auth lines go.
 */
export function ConnectSetup({ publicUrl, clientPath, importRoots }: { publicUrl: string | null; clientPath: string; importRoots: string[] }) {
  const me = useMe();
  const [origin, setOrigin] = useState(publicUrl ?? "<this server's URL>");
  useEffect(() => { if (!publicUrl) setOrigin(window.location.origin); }, [publicUrl]);
  const [name, setName] = useState("trainer");
  const [experiment, setExperiment] = useState("my-pretraining");
  const [key, setKey] = useState<{ name: string; key: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const local = me?.mode === "local" && !me.user;
  const canWrite = !!me?.user && ROLE_SCOPES[me.user.role].includes("write");
  const ctx: ConnectContext = { url: origin, key: local ? null : key?.key ?? KEY_PLACEHOLDER, clientPath, experiment: experiment || "my-pretraining" };

  async function create(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const k = await trpc.apiKey.create.mutate({ name, scopes: ["read", "write"] });
      setKey({ name: k.name, key: k.key });
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-5">
      <div className="space-y-3 rounded-lg border border-slate-800 p-4" data-testid="connect-key">
        {me === null ? <p className="text-sm text-slate-500">Loading…</p> : local ? (
          <p className="text-sm text-amber-200" data-testid="connect-local">
            This server runs in local mode: nobody signs in, so a trainer on this machine needs no key and the set-ups below leave the
            key lines out. <Link href="/setup" className="underline hover:text-white">Create an admin</Link> to turn on sign-in, then make a key here.
          </p>
        ) : key ? (
          <div className="space-y-2 rounded-md border border-emerald-500/40 bg-emerald-500/10 p-3 text-sm" data-testid="connect-key-created">
            <p className="text-emerald-200">
              Key “<span className="font-medium">{key.name}</span>” created (read and write) and filled into every set-up below.
              Copy what you need now: the key is not shown again.
            </p>
            <code className="block break-all rounded bg-slate-950 px-2 py-1 font-mono text-xs text-slate-100" data-testid="connect-key-secret">{key.key}</code>
            <p className="text-xs text-slate-400">Revoke it on the <Link href="/settings/keys" className="text-indigo-300 underline">API keys</Link> page when the trainer is done.</p>
          </div>
        ) : (
          <form onSubmit={create} className="space-y-2">
            <p className="text-sm text-slate-300">Trainers send an API key with every request. Keys are shown only once, so make one here and the set-ups below fill themselves in.</p>
            <div className="flex flex-wrap items-end gap-3">
              <label className="text-sm text-slate-300">Key name<br />
                <input value={name} required maxLength={64} onChange={(e) => setName(e.target.value)} className={input} data-testid="connect-key-name" />
              </label>
              <button disabled={!name || busy || !canWrite} data-testid="connect-key-create"
                className="rounded-md bg-indigo-500 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-400 disabled:opacity-40">
                Create a key for this trainer
              </button>
            </div>
            {!canWrite && me.user && <p className="text-sm text-amber-200">Your role ({me.user.role}) cannot make keys that write; ask an admin for one.</p>}
            {!me.user && <p className="text-sm text-slate-400"><Link href="/login" className="text-indigo-300 underline">Sign in</Link> to make a key.</p>}
          </form>
        )}
        {error && <p role="alert" className="text-sm text-rose-300">{error}</p>}
        <label className="block text-sm text-slate-300">Experiment name in the set-ups<br />
          <input value={experiment} maxLength={200} onChange={(e) => setExperiment(e.target.value)} className={`${input} w-full max-w-xs`} data-testid="connect-experiment" />
        </label>
      </div>

      <ConnectSection id="mlflow" step={1} title="MLflow environment variables" snippets={mlflowEnv(ctx)}
        intro={<>Anything that logs with the <code className={code}>mlflow</code> Python package talks to this server once these are set: it serves MLflow&apos;s tracking API at <code className={code}>/api/2.0/mlflow</code>. Runs show up on the Runs page as they log.</>} />

      <ConnectSection id="huggingface" step={2} title="Hugging Face Trainer" snippets={huggingFace(ctx)}
        intro={<>With <code className={code}>report_to=&quot;mlflow&quot;</code> the Trainer logs its arguments, the model config and every logging step. <code className={code}>MLFLOW_EXPERIMENT_NAME</code> picks the experiment (made if new); <code className={code}>run_name</code> names the run.</>} />

      <ConnectSection id="lightning" step={3} title="PyTorch Lightning" snippets={lightning(ctx)}
        intro={<>Lightning&apos;s <code className={code}>MLFlowLogger</code> logs hyperparameters and every <code className={code}>self.log(...)</code> value.</>} />

      <ConnectSection id="nanogpt" step={4} title="nanoGPT (this project's Python client)" snippets={nanoGpt(ctx)}
        intro={<>For a plain training loop: <code className={code}>pretrain_client</code> lives in this project&apos;s <code className={code}>clients/python</code> folder (copy it to the training machine, or point <code className={code}>PYTHONPATH</code> at a checkout). It needs no other package.</>} />

      <ConnectSection id="tensorboard" step={5} title="A TensorBoard folder" snippets={[]}
        intro={<>Already have <code className={code}>events.out.tfevents.*</code> files? The server reads them from a folder on its own disk, so the folder must lie inside its data directory or an allowed import root{importRoots.length ? ":" : "."}</>}>
        {importRoots.length > 0 ? (
          <ul className="list-inside list-disc font-mono text-xs text-slate-300" data-testid="connect-import-roots">{importRoots.map((r) => <li key={r} className="break-all">{r}</li>)}</ul>
        ) : (
          <p className="text-sm text-slate-400" data-testid="connect-import-roots">No import root is set: start the server with <code className={code}>IMPORT_ROOTS=/path/to/logs</code> (several separated by <code className={code}>:</code>) to allow more folders.</p>
        )}
        <TensorboardImport />
      </ConnectSection>
    </div>
  );
}
