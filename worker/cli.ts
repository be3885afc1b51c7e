// `npm run worker -- --server URL --key KEY [--queue NAME]… [--max-runs N] [--name NAME] [--data-dir DIR] [--shared-storage]`
// A remote worker (docs/workers.md): it pulls queued runs of its queues from the dashboard and trains
// them here. Two subcommands start this same program again as its children, so that one bundled file
// (bench/prepare-device.sh) is the whole worker on a machine without Node.js installed:
//   worker/cli.ts trainer <trainer flags>   the trainer (trainer/cli/train.ts)
//   worker/cli.ts probe                     the backend report (which backends start here) as JSON
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { WorkerInfo } from "../lib/worker-protocol";
import { fail } from "../trainer/cli/flags";
import { Agent } from "./agent";
import { WORKER_FLAG_OPTIONS, WorkerFlags, withEnvDefaults } from "./flags";
import { machine, nvidiaGpus, probeBackends } from "./machine";
import { ServerApi } from "./server-api";
import pkg from "../package.json" with { type: "json" };

const sub = process.argv[2];
if (sub === "trainer" || sub === "probe") {
  // The child's own flags follow the subcommand; its CLI reads process.argv as if started directly.
  process.argv.splice(2, 1);
  if (sub === "trainer") await import("../trainer/cli/train");
  else {
    const { probeBackends: probe } = await import("../trainer/backend/backend");
    console.log(JSON.stringify(await probe(os.availableParallelism())));
    process.exit(0);
  }
} else {
  await main();
}

async function main() {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ options: WORKER_FLAG_OPTIONS }).values;
  } catch (e) {
    fail((e as Error).message, 2);
  }
  const parsed = WorkerFlags.safeParse(withEnvDefaults(values));
  if (!parsed.success) fail(parsed.error.issues.map((i) => i.message).join("; "), 2);
  const flags = parsed.data;
  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  // This program, started again: node's own flags (tsx's loader under npm run worker), then the entry file.
  const entry = [...process.execArgv, process.argv[1]];
  const [gpus, report] = await Promise.all([nvidiaGpus(), probeBackends(entry)]);
  const info = WorkerInfo.parse({
    ...machine(),
    name: flags.name,
    gpus,
    backends: report?.backends.filter((b) => b.available).map((b) => b.name) ?? [],
    autoBackend: report?.auto ?? null,
    queues: flags.queue,
    maxRuns: flags["max-runs"],
    version: pkg.version,
    sharedStorage: flags["shared-storage"],
  });
  const agent = new Agent({ api: new ServerApi(flags.server, flags.key), info, dataDir: path.resolve(flags["data-dir"]), key: flags.key, entry, log });
  let signals = 0;
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => {
      // A second signal means now: the runs' holds lapse and the server requeues them.
      if (++signals > 1) process.exit(130);
      void agent.shutdown().then(() => process.exit(0));
    });
  try {
    await agent.start();
  } catch (e) {
    fail((e as Error).message, 1);
  }
}
