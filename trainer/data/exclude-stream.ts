/**
 * Cuts excluded documents out of a domain's train stream, keeping where each kept token came
 * from, so that positions (cursors in checkpoints, document ids in forensics) stay in the stream
 * as prepared whatever a run leaves out.
 */
import type { Exclusion } from "../../lib/exclusion";
import type { MixtureDomain } from "./mixture";
import { filterStream } from "./stream-filter";

/**
 * The run's domains minus its exclusion: excluded domains leave the mixture (weight 0), excluded
 * documents leave their domain's stream. `known`: every domain of the dataset, for the errors.
 */
export function excludeData(domains: MixtureDomain[], exclude: Exclusion, known: string[]): MixtureDomain[] {
  const unknown = [...exclude.domains, ...exclude.documents.map((d) => d.domain)].filter((d) => !known.includes(d));
  if (unknown.length > 0) throw new Error(`exclude names ${[...new Set(unknown)].join(", ")}; the dataset has the domains ${known.join(", ")}`);
  return domains
    .filter((d) => !exclude.domains.includes(d.name))
    .map((d) => {
      const ranges = exclude.documents.filter((x) => x.domain === d.name);
      if (ranges.length === 0) return d;
      for (const r of ranges)
        if (r.start + r.length > d.train.length)
          throw new Error(`exclude: tokens ${r.start}..${r.start + r.length} lie outside domain ${d.name}'s ${d.train.length} training tokens`);
      const { tokens, origin } = filterStream(d.train, ranges);
      if (tokens.length < 2) throw new Error(`exclude leaves domain ${d.name} ${tokens.length} training tokens; exclude the domain instead`);
      return { ...d, train: tokens, origin, originalLength: d.train.length };
    });
}
