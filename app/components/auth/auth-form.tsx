/** Shared look of the sign-in and setup forms. */
export const field = "w-full rounded-md border border-slate-700 bg-slate-950 px-3 py-2 text-sm text-slate-100 focus:border-indigo-400 focus:outline-none";
export const primaryButton = "w-full rounded-md bg-indigo-500 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-400 disabled:opacity-40";

export function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return <p role="alert" data-testid="form-error" className="rounded-md border border-rose-500/40 bg-rose-500/10 px-3 py-2 text-sm text-rose-200">{message}</p>;
}
