import type { Metadata } from "next";
import { safeNext } from "../../lib/auth";
import { LoginForm } from "../components/auth/login-form";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { next } = await searchParams;
  return (
    <div className="mx-auto max-w-sm space-y-4 pt-12">
      <h1 className="text-xl font-semibold text-slate-100">Sign in</h1>
      <LoginForm next={safeNext(typeof next === "string" ? next : null)} />
      <p className="text-xs text-slate-500">No account? An admin creates one on the Users page.</p>
    </div>
  );
}
