// A small prepared dataset of real prose (Brown corpus books) with a large held-out share, so that
// synthetic LAMBADA and HellaSwag sets can be cut from its val shard.
import type { DatasetManifest } from "../../formats/dataset";
import { DatasetSpec } from "../../lib/dataset-spec";
import { prepareDataset } from "../../trainer/pipeline/prepare";

export function prepareBrown(dataDir: string, vocabSize = 512, documents = 30): Promise<DatasetManifest> {
  const spec = DatasetSpec.parse({
    name: `brown ${vocabSize}`,
    sources: [{ domain: "books", kind: "brown", weight: 1, maxDocuments: documents }],
    tokenizer: { vocabSize, trainBytes: 1_000_000 },
    valFraction: 0.2,
  });
  return prepareDataset(spec, { dataDir });
}
