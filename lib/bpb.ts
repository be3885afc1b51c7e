/**
 * Bits per byte: a language model's loss per UTF-8 byte of text, in bits. Loss per token depends
 * on the tokenizer (a larger vocabulary packs more bytes in a token and so has a higher loss per
 * token); bits per byte does not, so runs on different tokenizers compare on it.
 *
 *   bpb = loss (nats per token) × tokens / (bytes × ln 2)
 *
 * where tokens and bytes count the same predicted text.
 */
export function bitsPerByte(lossNatsPerToken: number, tokens: number, bytes: number): number {
  if (!(tokens > 0) || !(bytes > 0)) throw new RangeError(`bits per byte needs text: ${tokens} tokens, ${bytes} bytes`);
  return (lossNatsPerToken * tokens) / (bytes * Math.LN2);
}

/**
 * UTF-8 bytes that `ids` decode to, given each token's byte length. A special token (end of text)
 * has length 0: the cost of predicting a document boundary is charged to the text's bytes, as a
 * raw-text model would pay for it in the bytes of the next document.
 */
export function textBytes(ids: ArrayLike<number>, byteLengths: ArrayLike<number>): number {
  let bytes = 0;
  for (let i = 0; i < ids.length; i++) {
    const n = byteLengths[ids[i]];
    if (n === undefined) throw new RangeError(`token id ${ids[i]} is outside the vocabulary of ${byteLengths.length}`);
    bytes += n;
  }
  return bytes;
}
