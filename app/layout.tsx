import type { Metadata } from "next";
import Link from "next/link";
import { AccountMenu } from "./components/account-menu";
import { AlertCenter } from "./components/alert-center";
import { LocalModeBanner } from "./components/local-mode-banner";
import { SignedInOnly } from "./components/signed-out-shell";
import "./globals.css";

export const metadata: Metadata = { title: "Pretrain", description: "Pretraining runs, live" };

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen">
        <header className="border-b border-slate-800 bg-slate-900/80">
          <nav className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3 sm:gap-x-6 sm:px-6">
            <Link href="/" className="whitespace-nowrap font-semibold tracking-tight text-slate-100">
              ▲ Pretrain
            </Link>
            <SignedInOnly>
              <Link href="/" className="text-sm text-slate-400 hover:text-slate-100">Runs</Link>
              <Link href="/datasets" className="text-sm text-slate-400 hover:text-slate-100">Datasets</Link>
              <Link href="/evals" className="text-sm text-slate-400 hover:text-slate-100">Benchmarks</Link>
              <Link href="/alerts" className="text-sm text-slate-400 hover:text-slate-100">Alerts</Link>
              <Link href="/workers" className="text-sm text-slate-400 hover:text-slate-100">Workers</Link>
              <Link href="/connect" className="text-sm text-slate-400 hover:text-slate-100">Connect</Link>
              <AlertCenter />
              <Link href="/runs/new" className="whitespace-nowrap rounded-md bg-indigo-500 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-400">
                New run
              </Link>
              <AccountMenu />
            </SignedInOnly>
          </nav>
        </header>
        <LocalModeBanner />
        <main className="mx-auto max-w-7xl px-6 py-6">{children}</main>
      </body>
    </html>
  );
}
