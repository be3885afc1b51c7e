import path from "node:path";
import { test } from "node:test";
import { clientChaos } from "../helpers/client-chaos";

const root = path.resolve(import.meta.dirname, "../..");

test("typescript client: 2,000 steps through a server SIGKILLed twice and a client SIGKILLed while the server is down; every point once, exact", async () => {
  await clientChaos({
    label: "ts-client",
    command: process.execPath,
    args: ["--import", "tsx", path.join(root, "tests", "helpers", "ts-long-run.ts")],
    steps: 2_000,
    nanStep: 1_000,
    marks: [400, 700, 1_200],
  });
});
