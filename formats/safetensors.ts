/**
 * The safetensors format (https://github.com/huggingface/safetensors): u64 little-endian header
 * length N, N bytes of JSON header, then raw little-endian tensor data. Header:
 * { "<name>": { dtype: "F32", shape, data_offsets: [begin, end] }, "__metadata__": {str: str} },
 * offsets relative to the end of the header, tensors stored in name order and contiguous.
 */

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

const isLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function encodeSafetensors(tensors: Map<string, HostTensor>, metadata: Record<string, string>): Buffer {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new Error(`tensor ${name}: shape [${t.shape}] does not hold ${t.data.length} values`);
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + size * 4] };
    offset += size * 4;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align tensor data to 8 bytes
  const headerBytes = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    const bytes = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    if (!isLittleEndian) throw new Error("big-endian hosts are not supported");
    bytes.copy(out, pos);
    pos += bytes.length;
  }
  return out;
}

export function decodeSafetensors(buf: Uint8Array): { tensors: Map<string, HostTensor>; metadata: Record<string, string> } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 8) throw new Error("file shorter than the 8-byte header length");
  const n = Number(b.readBigUInt64LE(0));
  if (n > b.length - 8) throw new Error(`header length ${n} exceeds file size ${b.length}`);
  const header = JSON.parse(b.subarray(8, 8 + n).toString("utf8")) as Record<string, unknown>;
  const dataStart = 8 + n;
  const dataLen = b.length - dataStart;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const tensors = new Map<string, HostTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== "F32") throw new Error(`tensor ${name}: dtype ${dtype} is not supported`);
    const [begin, end] = data_offsets;
    const size = shape.reduce((x, y) => x * y, 1);
    if (!(begin >= 0 && end <= dataLen && end - begin === size * 4))
      throw new Error(`tensor ${name}: offsets [${begin}, ${end}] do not fit shape [${shape}] in ${dataLen} data bytes`);
    // Copied out, so the result does not pin the file buffer and is 4-byte aligned.
    const data = new Float32Array(size);
    new Uint8Array(data.buffer).set(b.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
}
