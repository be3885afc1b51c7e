import fs from "node:fs";
import path from "node:path";
import { after } from "node:test";
import { chromium, type Browser } from "playwright-core";
import { startServer, type TestServer } from "./server";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Why the browser tests cannot run here, or null when Chromium is installed. */
export function chromiumMissing(): string | null {
  if (fs.existsSync(CHROMIUM)) return null;
  return `Chromium not found at ${CHROMIUM}. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH). CI installs it.`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Where the browser tests leave their screenshots. */
export const SCREENSHOTS = path.resolve(import.meta.dirname, "../../test-output/e2e");

/**
 * A browser test file's set-up: `skip` says why Chromium tests cannot run here (printed once),
 * `start` opens a server on a data directory and `browser` launches Chromium; both are closed
 * after the file.
 */
export function browserTests(): { skip: string | false; start(dataDir: string, extraEnv?: Record<string, string>): Promise<TestServer>; browser(): Promise<Browser> } {
  const missing = chromiumMissing();
  if (missing) console.log(`# browser tests not run: ${missing}`);
  const open: { server?: TestServer; browser?: Browser } = {};
  after(async () => {
    await open.browser?.close();
    await open.server?.stop();
  });
  return {
    skip: missing ?? false,
    async start(dataDir, extraEnv) {
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      open.server = await startServer(dataDir, extraEnv);
      return open.server;
    },
    async browser() {
      open.browser = await launchChromium();
      return open.browser;
    },
  };
}
