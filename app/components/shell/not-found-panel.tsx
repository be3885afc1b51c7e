import Link from "next/link";

const link = "rounded-md border border-slate-600 px-3 py-1.5 text-sm text-slate-200 hover:bg-slate-800";

/** What a missing page or record shows: what is missing, and the ways back. */
export function NotFoundPanel({ title, text }: { title: string; text: string }) {
  return (
    <div className="mx-auto max-w-lg py-16 text-center" data-testid="not-found">
      <p className="font-mono text-sm font-semibold text-indigo-300">404</p>
      <h1 className="mt-2 text-2xl font-semibold text-slate-100">{title}</h1>
      <p className="mt-3 text-slate-400">{text}</p>
      <div className="mt-6 flex flex-wrap justify-center gap-3">
        <Link href="/" className="rounded-md bg-indigo-500 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-400" data-testid="not-found-home">All runs</Link>
        <Link href="/datasets" className={link}>Datasets</Link>
        <Link href="/alerts" className={link}>Alerts</Link>
      </div>
    </div>
  );
}
