// Byte lengths of a prepared dataset's tokens, for bits per byte (lib/bpb.ts).
import fs from "node:fs";
import path from "node:path";
import { datasetsRoot, TOKENIZER_FILE, type DatasetManifest } from "../../formats/dataset";
import { BpeTokenizer } from "../../lib/tokenizer/bpe";
import { tokenByteLengths } from "../../lib/tokenizer/stats";

/** Each token id's UTF-8 length from the dataset's tokenizer, or why there is none. */
export function datasetByteLengths(dataDir: string, manifest: DatasetManifest): { lengths: Uint16Array } | { reason: string } {
  const file = path.join(datasetsRoot(dataDir), manifest.id, TOKENIZER_FILE);
  let tok: BpeTokenizer;
  try {
    tok = BpeTokenizer.fromJSON(fs.readFileSync(file, "utf8"));
  } catch (e) {
    return { reason: `${file}: ${(e as Error).message.split("\n")[0]}` };
  }
  if (tok.vocabSize !== manifest.tokenizer.vocabSize)
    return { reason: `${file} has ${tok.vocabSize} tokens, the manifest says ${manifest.tokenizer.vocabSize}` };
  return { lengths: tokenByteLengths(tok) };
}
