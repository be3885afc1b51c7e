// The Hugging Face `tokenizer.json` file: what a byte-level BPE tokenizer is made of, read and written.
import { z } from "zod";
import { AddedTokenJson, addedTokenToJson, specialToken, type AddedToken } from "./added-tokens";
import { END_OF_TEXT } from "./vocab";

export interface Parts {
  /** id → token string: byte-level characters, or the content of an added token. */
  tokens: string[];
  /** In rank order, as pairs of ids. */
  merges: [number, number][];
  added: AddedToken[];
  /** Ids that were only in `added_tokens`, not in `model.vocab`. */
  addedOnly: Set<number>;
  ignoreMerges: boolean;
}

const ByteLevelStep = z.looseObject({
  type: z.literal("ByteLevel"),
  add_prefix_space: z.literal(false, { error: "add_prefix_space true is not supported" }).optional(),
  use_regex: z.literal(true, { error: "use_regex false is not supported" }).optional(),
});

const TokenizerJson = z.looseObject({
  version: z.string().optional(),
  added_tokens: z.array(AddedTokenJson).default([]),
  normalizer: z.null({ error: "only a null normalizer is supported" }).optional(),
  pre_tokenizer: ByteLevelStep,
  // Byte-level decoding ignores the decoder's options; GPT-2's file sets add_prefix_space true there.
  decoder: z.looseObject({ type: z.literal("ByteLevel") }).nullable().optional(),
  model: z.looseObject({
    type: z.literal("BPE").optional(),
    dropout: z.union([z.null(), z.literal(0)], { error: "BPE dropout is not supported" }).optional(),
    continuing_subword_prefix: z.union([z.null(), z.literal("")], { error: "continuing_subword_prefix is not supported" }).optional(),
    end_of_word_suffix: z.union([z.null(), z.literal("")], { error: "end_of_word_suffix is not supported" }).optional(),
    byte_fallback: z.literal(false, { error: "byte_fallback is not supported" }).optional(),
    ignore_merges: z.boolean().default(false),
    vocab: z.record(z.string(), z.number().int().min(0)),
    merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])),
  }),
});

export function partsFromJson(raw: unknown): Parts {
  const parsed = TokenizerJson.safeParse(raw);
  if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
  const { model, added_tokens } = parsed.data;
  const tokens: string[] = [];
  const place = (token: string, id: number) => {
    if (tokens[id] !== undefined && tokens[id] !== token)
      throw new Error(`id ${id} is both ${JSON.stringify(tokens[id])} and ${JSON.stringify(token)}`);
    tokens[id] = token;
  };
  for (const [token, id] of Object.entries(model.vocab)) place(token, id);
  const inVocab = new Set(Object.values(model.vocab));
  const addedOnly = new Set<number>();
  for (const t of added_tokens) {
    if (!inVocab.has(t.id)) addedOnly.add(t.id);
    place(t.content, t.id);
  }
  for (let id = 0; id < tokens.length; id++) if (tokens[id] === undefined) throw new Error(`ids are not contiguous: id ${id} is missing`);
  const ids = new Map(tokens.map((t, id) => [t, id]));
  if (ids.size !== tokens.length) throw new Error("two ids spell the same token");
  const merges = model.merges.map((m, rank): [number, number] => {
    const pair = typeof m === "string" ? m.split(" ") : m;
    if (pair.length !== 2) throw new Error(`merge ${rank} ${JSON.stringify(m)} is not two tokens separated by one space`);
    const [a, b] = pair.map((t) => ids.get(t));
    if (a === undefined || b === undefined) throw new Error(`merge ${rank} ${JSON.stringify(m)} uses a token that is not in the vocabulary`);
    return [a, b];
  });
  const added = added_tokens;
  // GPT-2's file lists <|endoftext|> in added_tokens; a file with it only in the vocabulary still marks it special.
  const eot = ids.get(END_OF_TEXT);
  if (eot !== undefined && !added.some((t) => t.id === eot)) added.push(specialToken(eot, END_OF_TEXT));
  return { tokens, merges, added, addedOnly, ignoreMerges: model.ignore_merges };
}

/** Hugging Face `tokenizer.json`. Merges are written as [left, right] pairs, the form tokenizers ≥ 0.20 writes. */
export function partsToJson(parts: Parts): object {
  const { tokens, merges, added, addedOnly, ignoreMerges } = parts;
  const vocab: Record<string, number> = {};
  tokens.forEach((t, id) => {
    if (!addedOnly.has(id)) vocab[t] = id;
  });
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added.map(addedTokenToJson),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: ignoreMerges,
      vocab,
      merges: merges.map(([a, b]) => [tokens[a], tokens[b]]),
    },
  };
}
