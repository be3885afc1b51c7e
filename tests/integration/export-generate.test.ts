import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { GenerateResult } from "../../lib/generation";
import { BpeTokenizer } from "../../lib/tokenizer/bpe";
import { prepareSmall, startServer, tempDataDir, TINY, waitFor, type TestServer } from "../helpers/server";

const dataDir = tempDataDir("export-generate");
let server: TestServer;
after(async () => {
  await server?.stop();
});

const code = (e: any) => e?.data?.code as string | undefined;

test("a finished run's checkpoint exports and generates text over tRPC; bad requests get clear errors", async () => {
  server = await startServer(dataDir);
  const dataset = await prepareSmall(server);
  const run = await server.api.run.create.mutate({ ...TINY, name: "export-generate", dataset, steps: 40 });
  await waitFor("the run to complete", async () => {
    const r = await server.api.run.get.query({ id: run.id });
    if (r.status === "failed" || r.status === "crashed") throw new Error(`run ${r.status}: ${r.error}`);
    return r.status === "completed";
  });
  const [checkpoint] = await server.api.checkpoint.list.query({ runId: run.id });
  assert.equal(checkpoint.step, 40);
  const tokenizerFile = path.join(dataDir, "datasets", dataset, "tokenizer.json");
  const tokenizer = BpeTokenizer.fromJSON(fs.readFileSync(tokenizerFile, "utf8"));

  // Export: the files land beside the checkpoint, with the sizes reported.
  const exported = await server.api.checkpoint.export.mutate({ runId: run.id, step: 40 });
  assert.equal(exported.outDir, path.join(path.dirname(checkpoint.path), "export"));
  assert.deepEqual(exported.files.map((f) => f.name).sort(), ["config.json", "model.safetensors", "tokenizer.json"]);
  for (const f of exported.files) assert.equal(fs.statSync(path.join(exported.outDir, f.name)).size, f.bytes, f.name);
  const config = JSON.parse(fs.readFileSync(path.join(exported.outDir, "config.json"), "utf8"));
  assert.equal(config.vocab_size, tokenizer.vocabSize);
  assert.equal(config.eot_token_id, tokenizer.eotId);
  assert.equal(config.d_model, TINY.dModel);
  assert.equal(config.run_config.name, "export-generate");
  const weights = fs.readFileSync(path.join(exported.outDir, "model.safetensors"));
  const header = JSON.parse(weights.subarray(8, 8 + Number(weights.readBigUInt64LE(0))).toString());
  assert.deepEqual(header.wte.shape, [tokenizer.vocabSize, TINY.dModel]);
  assert.ok(!Object.keys(header).some((k) => k.startsWith("optim.")), "no optimizer state");
  assert.deepEqual(fs.readFileSync(path.join(exported.outDir, "tokenizer.json")), fs.readFileSync(tokenizerFile));
  const twice = await server.api.checkpoint.export.mutate({ runId: run.id, step: 40 });
  assert.deepEqual(twice, exported, "exporting again replaces the export");

  // Generate: greedy text is repeatable and is the decoding of the returned tokens.
  const request = { runId: run.id, step: 40, prompt: "The ", temperature: 0, topK: 0, maxTokens: 30 };
  const greedy = GenerateResult.parse(await server.api.checkpoint.generate.mutate(request));
  assert.ok(greedy.tokens.length > 0 && greedy.tokens.length <= 30);
  assert.equal(greedy.stop === "max_tokens", greedy.tokens.length === 30);
  assert.equal(greedy.text, tokenizer.decode(greedy.tokens));
  assert.equal(greedy.promptTokens, tokenizer.encode("The ").length);
  assert.ok(greedy.ms > 0);
  assert.equal(greedy.backend, "wasm");
  assert.deepEqual((await server.api.checkpoint.generate.mutate(request)).tokens, greedy.tokens);
  const sampled = await server.api.checkpoint.generate.mutate({ ...request, temperature: 0.9, topK: 40, seed: 3 });
  assert.equal(sampled.seed, 3);
  assert.deepEqual((await server.api.checkpoint.generate.mutate({ ...request, temperature: 0.9, topK: 40, seed: 3 })).text, sampled.text);
  console.log(`greedy: ${JSON.stringify("The " + greedy.text)} (${greedy.tokens.length} tokens in ${greedy.ms.toFixed(0)} ms)`);

  // Bad requests: unknown run or step, out-of-range options, a topK beyond this vocabulary.
  await assert.rejects(server.api.checkpoint.generate.mutate({ ...request, step: 999 }), (e: any) => {
    assert.equal(code(e), "NOT_FOUND");
    assert.equal(e.message, `Run ${run.id} has no checkpoint at step 999; it has steps 40`);
    return true;
  });
  await assert.rejects(server.api.checkpoint.export.mutate({ runId: "nope", step: 40 }), /No run with id nope/);
  await assert.rejects(server.api.checkpoint.generate.mutate({ ...request, runId: "nope" }), /No run with id nope/);
  for (const [field, value] of [["maxTokens", 0], ["maxTokens", 513], ["temperature", 2.5], ["topK", -1], ["prompt", "x".repeat(2001)]] as const)
    await assert.rejects(server.api.checkpoint.generate.mutate({ ...request, [field]: value }), (e: any) => {
      assert.equal(code(e), "BAD_REQUEST");
      assert.ok(e.data.fieldErrors?.[field], `${field}=${String(value).slice(0, 10)}: ${e.message}`);
      return true;
    });
  await assert.rejects(server.api.checkpoint.generate.mutate({ ...request, topK: 10_000 }), (e: any) => {
    assert.equal(code(e), "BAD_REQUEST");
    assert.equal(e.message, `Generating from step 40 failed: topK 10000 exceeds the vocabulary of ${tokenizer.vocabSize} tokens`);
    return true;
  });

  // A checkpoint file that is gone from disk is reported, not crashed on.
  fs.renameSync(checkpoint.path, `${checkpoint.path}.moved`);
  await assert.rejects(server.api.checkpoint.export.mutate({ runId: run.id, step: 40 }), /checkpoint file for step 40 is gone/);
  fs.renameSync(`${checkpoint.path}.moved`, checkpoint.path);
  assert.ok(Array.isArray(await server.api.run.list.query()), "the server still answers");
});
