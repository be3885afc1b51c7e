import type { Metadata } from "next";
import Link from "next/link";
import { AccountMenu } from "./components/shell/account-menu";
import { AlertCenter } from "./components/alerts/alert-center";
import { ConnectionBanner } from "./components/shell/connection-banner";
import { KeyboardShortcuts } from "./components/shell/keyboard-shortcuts";
import { LocalModeBanner } from "./components/shell/local-mode-banner";
import { SignedInOnly } from "./components/shell/signed-out-shell";
import { SiteNav } from "./components/shell/site-nav";
import "./globals.css";

// Each page names its subject; the tab reads "<subject> · Pretrain".
export const metadata: Metadata = { title: { template: "%s · Pretrain", default: "Pretrain" }, description: "Pretraining runs, live" };

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen">
        <SignedInOnly><ConnectionBanner /></SignedInOnly>
        <header className="border-b border-slate-800 bg-slate-900/80">
          <nav className="relative mx-auto flex max-w-7xl items-center gap-3 px-4 py-3 md:gap-5 md:px-6">
            <Link href="/" className="whitespace-nowrap font-semibold tracking-tight text-slate-100">
              ▲ Pretrain
            </Link>
            <SignedInOnly>
              <SiteNav alerts={<AlertCenter />} account={<AccountMenu />} />
              <KeyboardShortcuts />
            </SignedInOnly>
          </nav>
        </header>
        <LocalModeBanner />
        <main className="mx-auto max-w-7xl px-4 py-6 md:px-6">{children}</main>
        <SignedInOnly>
          <footer className="mx-auto hidden max-w-7xl px-6 pb-6 text-xs text-slate-600 md:block">
            Press <kbd className="rounded border border-slate-700 px-1 font-mono">?</kbd> for keyboard shortcuts
          </footer>
        </SignedInOnly>
      </body>
    </html>
  );
}
