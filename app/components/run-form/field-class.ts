/** The run form's inputs and selects, red-bordered while their value is refused. */
export function fieldClass(error: string | undefined): string {
  return `mt-1 w-full rounded-md border bg-slate-950 px-2.5 py-1.5 font-mono text-sm text-slate-100 outline-none focus:ring-2 ${
    error ? "border-rose-500 focus:ring-rose-500/40" : "border-slate-700 focus:ring-indigo-500/40"
  }`;
}
