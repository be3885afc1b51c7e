// A synthetic token dataset (tests/helpers/token-dataset.ts) with a real BPE tokenizer.json in place
// of its stub, so checkpoints trained on it can be decoded to text.
import fs from "node:fs";
import path from "node:path";
import { datasetsRoot, TOKENIZER_FILE, type DatasetManifest } from "../../formats/dataset";
import { BpeTokenizer } from "../../lib/tokenizer/bpe";
import { writeTokenDataset } from "./token-dataset";

const TEXT = [
  "The quick brown fox jumps over the lazy dog.",
  "A model that reads the text learns which token comes next.",
  "Checkpoints are exported with their weights, their config and the tokenizer.",
  "She sells sea shells by the sea shore, and the shells she sells are sea shells.",
];

export function writeTextDataset(dataDir: string, vocabSize = 300): { manifest: DatasetManifest; tokenizer: BpeTokenizer } {
  const tokenizer = BpeTokenizer.train(Array.from({ length: 20 }, () => TEXT).flat(), { vocabSize });
  const manifest = writeTokenDataset(dataDir, {
    vocabSize: tokenizer.vocabSize,
    domains: [{ name: "text", weight: 1, trainTokens: 4000, valTokens: 1000 }],
  });
  if (manifest.tokenizer.eotId !== tokenizer.eotId) throw new Error("the synthetic dataset and the tokenizer disagree on end-of-text");
  fs.writeFileSync(path.join(datasetsRoot(dataDir), manifest.id, TOKENIZER_FILE), JSON.stringify(tokenizer.toJSON()));
  return { manifest, tokenizer };
}
