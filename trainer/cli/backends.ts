// `npm run backends [-- --json]`: which TensorFlow.js backends start on this machine, why the
// others do not, and which one `auto` takes. --json prints one BackendReport line (the server's form).
import os from "node:os";
import { z } from "zod";
import { probeBackends } from "../backend/backend";
import { fail, parseFlags } from "./flags";

const flags = parseFlags({ json: { type: "boolean" } }, z.object({ json: z.boolean().default(false) }));

try {
  const report = await probeBackends(os.availableParallelism());
  if (flags.json) console.log(JSON.stringify(report));
  else {
    const width = Math.max(...report.backends.map((b) => b.name.length));
    for (const b of report.backends) console.log(`${b.name.padEnd(width)}  ${b.available ? "yes" : "no "}  ${b.detail}`);
    console.log(`auto → ${report.auto}`);
  }
  process.exit(0);
} catch (e) {
  fail((e as Error).message, 1);
}
