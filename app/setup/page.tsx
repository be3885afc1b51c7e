import type { Metadata } from "next";
import Link from "next/link";
import type { Caller } from "../../server/trpc/router";
import { SetupForm } from "../components/auth/setup-form";
import { caller } from "../lib/caller";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Set up" };

export default async function SetupPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { token } = await searchParams;
  const { mode } = await (caller() as Caller).auth.me();
  return (
    <div className="mx-auto max-w-md space-y-4 pt-12">
      <h1 className="text-xl font-semibold text-slate-100">Create the first admin</h1>
      {mode === "on" ? (
        <p className="text-sm text-slate-300">Setup is done: a user exists. <Link href="/login" className="text-indigo-300 hover:underline">Sign in</Link>.</p>
      ) : (
        <>
          <p className="text-sm text-slate-400">
            From then on everyone signs in, on this machine too. The admin adds more users (viewer, member or admin) on the Users page.
          </p>
          <SetupForm token={typeof token === "string" ? token : ""} needsToken={mode === "setup"} />
        </>
      )}
    </div>
  );
}
