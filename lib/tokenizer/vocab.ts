/**
 * Vocabulary size rule: the vocabulary always holds the 256 bytes and END_OF_TEXT, so the
 * smallest real vocabulary is 257. A requested vocabSize of 256 or 257 means "no merges" and
 * gives 257 tokens with eotId 256. Read the size back from `vocabSize`, never from the request.
 */
export const END_OF_TEXT = "<|endoftext|>";
export const MIN_VOCAB_SIZE = 257;
export const MAX_VOCAB_SIZE = 16384;
