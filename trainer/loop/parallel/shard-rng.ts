import type { Rng } from "../../../lib/rng";
import type { ModelConfig } from "../../model/model";
import { mlmCorrupt } from "../../model/objectives";
import type { Shard } from "./shards";

/**
 * The rng state each shard's passes start from, so that a worker draws for its rows exactly what
 * the trainer's own thread would. objectiveLoss draws only the mlm masks, row by row in batch order
 * (mlmCorrupt), so drawing them here shard by shard also leaves `rng` where one thread leaves it.
 * A new draw inside the loss must be mirrored here; tests/unit/parallel-train.test.ts compares mlm
 * runs on 1 and N workers.
 */
export function shardRngStates(rng: Rng, model: ModelConfig, x: Int32Array, shards: Shard[], T: number, maskId: number): number[][] {
  return shards.map(({ start, count }) => {
    const state = rng.getState();
    if (model.objective === "mlm" && count > 0) mlmCorrupt(x.subarray(start * T, (start + count) * T), count, T, model.vocabSize, maskId, rng);
    return state;
  });
}
