import { loadEnv } from "./env";
import { StartRefused } from "./auth";
import { startServer } from "./main";

process.env.NEXT_TELEMETRY_DISABLED = "1";

let env;
try {
  env = loadEnv();
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}

const server = await startServer(env).catch((e) => {
  if (!(e instanceof StartRefused)) throw e;
  console.error(e.message);
  process.exit(e.exitCode);
});
console.log(`Dashboard listening on ${server.url} (data in ${env.dataDir})`);

let closing = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (closing) process.exit(1);
    closing = true;
    console.log(`${signal}: stopping trainers (each checkpoints first) and closing…`);
    await server.close();
    process.exit(0);
  });
}
