const utf8 = new TextDecoder("utf-8", { fatal: true });
// windows-1252 is a superset of Latin-1 that maps every byte, so it never fails.
const cp1252 = new TextDecoder("windows-1252");

/**
 * Bytes to text: the declared charset when there is one and it is known, else UTF-8 when the
 * bytes are valid UTF-8, else windows-1252 (what old mail and web pages without a charset mostly
 * are).
 */
export function decodeBytes(bytes: Uint8Array, charset?: string): string {
  const label = charset?.trim().toLowerCase();
  if (label && label !== "utf-8" && label !== "utf8" && label !== "us-ascii") {
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // An unknown label (mail has many invented ones) falls through to detection.
    }
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return cp1252.decode(bytes);
  }
}
