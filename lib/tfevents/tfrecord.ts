import { maskedCrc32c } from "./crc32c";

/**
 * TFRecord framing: uint64 LE length, uint32 LE masked CRC-32C of those 8 bytes, the data,
 * uint32 LE masked CRC-32C of the data.
 */
const HEADER = 12;
const FOOTER = 4;

export function encodeRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(HEADER + data.length + FOOTER);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, HEADER);
  out.writeUInt32LE(maskedCrc32c(data), HEADER + data.length);
  return out;
}

export type RecordItem =
  | { ok: true; offset: number; data: Buffer }
  | { ok: false; offset: number; error: "length-crc" | "data-crc" | "too-large" | "truncated" };

export interface RecordReaderOptions {
  /** Absolute offset of the first byte fed, when resuming part-way into a file. */
  startOffset?: number;
  /** A length above this (with a valid CRC) is treated as corrupt rather than buffered. */
  maxRecordBytes?: number;
}

/**
 * Fed the bytes of a growing file in chunks of any size; yields each complete record once.
 *
 * After corruption:
 *  - bad data CRC: the length was verified, so only that record is dropped and reading goes on
 *    at the next one;
 *  - bad length CRC (or an absurd length): the record boundary is lost, so the reader scans
 *    forward one byte at a time for the next header whose length CRC and data CRC both check,
 *    dropping the bytes in between. A corrupt region is reported once, at its first offset.
 */
export class RecordReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private base: number;
  private resyncing = false;
  /** Bytes needed before parsing is worth trying again; keeps byte-at-a-time feeding linear. */
  private need = HEADER;
  private readonly max: number;

  constructor(opts: RecordReaderOptions = {}) {
    this.base = opts.startOffset ?? 0;
    this.max = opts.maxRecordBytes ?? 256 * 1024 * 1024;
  }

  /** Absolute offset of the first byte not yet consumed: where a resumed reader would start. */
  get offset(): number {
    return this.base;
  }

  /** Bytes held back: a torn trailing record waiting for the rest of its bytes. */
  get pending(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): RecordItem[] {
    if (chunk.length > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.buffered += chunk.length;
    }
    return this.drain();
  }

  /** The stream is over: reports leftover bytes of a record that never completed. */
  end(): RecordItem[] {
    const out: RecordItem[] = [];
    if (this.buffered > 0 && !this.resyncing) out.push({ ok: false, offset: this.base, error: "truncated" });
    this.consume(this.buffered);
    this.resyncing = false;
    this.need = HEADER;
    return out;
  }

  private drain(): RecordItem[] {
    const out: RecordItem[] = [];
    if (this.buffered < this.need) return out;
    const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    let pos = 0;
    this.need = HEADER;
    while (buf.length - pos >= HEADER) {
      const len = buf.readBigUInt64LE(pos);
      const lengthOk = maskedCrc32c(buf.subarray(pos, pos + 8)) === buf.readUInt32LE(pos + 8);
      if (!lengthOk || len > BigInt(this.max)) {
        if (!this.resyncing) out.push({ ok: false, offset: this.base + pos, error: lengthOk ? "too-large" : "length-crc" });
        this.resyncing = true;
        pos += 1;
        continue;
      }
      const n = Number(len);
      const end = pos + HEADER + n + FOOTER;
      if (end > buf.length) {
        this.need = end - pos;
        break;
      }
      const data = buf.subarray(pos + HEADER, pos + HEADER + n);
      if (maskedCrc32c(data) !== buf.readUInt32LE(pos + HEADER + n)) {
        if (this.resyncing) {
          pos += 1;
          continue;
        }
        out.push({ ok: false, offset: this.base + pos, error: "data-crc" });
      } else {
        out.push({ ok: true, offset: this.base + pos, data: Buffer.from(data) });
        this.resyncing = false;
      }
      pos = end;
    }
    this.chunks = [buf];
    this.consume(pos);
    return out;
  }

  private consume(n: number) {
    const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const rest = buf.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.base += n;
  }
}
