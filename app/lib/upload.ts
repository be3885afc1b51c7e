/** Streams a file to the server's upload endpoint (server/http/upload.ts); answers with where it was stored. */
export async function uploadFile(url: string, file: File): Promise<{ path: string; folder: string; bytes: number }> {
  const res = await fetch(url, { method: "PUT", body: file });
  const body = (await res.json().catch(() => ({ error: `Upload failed with HTTP ${res.status}` }))) as { path: string; folder: string; bytes: number; error?: string };
  if (!res.ok) throw new Error(body.error ?? `Upload failed with HTTP ${res.status}`);
  return body;
}

/** A file name as the upload endpoint accepts it: letters, digits, '.', '-' and '_'. */
export const uploadName = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._-]+/, "").slice(0, 120) || "file";
