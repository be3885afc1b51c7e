import type { Doc } from "./types";

export const CODE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"] as const;

/**
 * Source files keep their indentation and their repeated blocks: indentation carries meaning in
 * code, and removing a paragraph from the middle of a file leaves code that no longer parses.
 * Decided by the file the document came from, not by its domain name, which the user chooses.
 */
export function isCodeDoc(doc: Doc): boolean {
  const source = doc.source.toLowerCase();
  return CODE_EXTENSIONS.some((ext) => source.endsWith(ext));
}
