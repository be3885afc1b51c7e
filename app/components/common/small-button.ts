/** The look of the small secondary buttons beside rows and panels: acknowledge, revoke, copy, edit. */
export const smallButton = "rounded border border-slate-600 px-2 py-0.5 text-xs text-slate-200 hover:bg-slate-800 disabled:opacity-40";
