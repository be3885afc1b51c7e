import fs from "node:fs";
import path from "node:path";

/**
 * A ustar archive of files, streamed one block at a time, so a download of a multi-gigabyte export
 * never sits in memory. `files` are [name inside the archive, path on disk].
 */
export async function* tarStream(files: [string, string][]): AsyncGenerator<Buffer> {
  for (const [name, file] of files) {
    const stat = fs.statSync(file);
    yield header(name, stat.size, stat.mtimeMs);
    let sent = 0;
    for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
      sent += chunk.length;
      yield chunk;
    }
    if (sent !== stat.size) throw new Error(`${file} changed size while it was archived`);
    if (sent % 512) yield Buffer.alloc(512 - (sent % 512));
  }
  yield Buffer.alloc(1024);
}

function header(name: string, size: number, mtimeMs: number): Buffer {
  const h = Buffer.alloc(512);
  // ustar splits a long name into a prefix (155 bytes) and a name (100 bytes) at a slash.
  let prefix = "";
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", name.length - 1);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(base) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`${name} is too long for a tar entry`);
  }
  h.write(base, 0, 100, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(size.toString(8).padStart(11, "0") + "\0", 124);
  h.write(Math.floor(mtimeMs / 1000).toString(8).padStart(11, "0") + "\0", 136);
  h.write("        ", 148);
  h.write("0", 156);
  h.write("ustar\0" + "00", 257);
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return h;
}

/** Every file under dir, as [relative name with `/`, absolute path], sorted. */
export function filesUnder(dir: string, prefix: string): [string, string][] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e): [string, string] => {
      const abs = path.join(e.parentPath, e.name);
      return [`${prefix}/${path.relative(dir, abs).split(path.sep).join("/")}`, abs];
    })
    .sort((a, b) => a[0].localeCompare(b[0]));
}
