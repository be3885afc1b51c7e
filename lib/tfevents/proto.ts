/** Just enough of the protobuf wire format for TensorFlow's event messages. */
export const WIRE = { varint: 0, fixed64: 1, bytes: 2, startGroup: 3, endGroup: 4, fixed32: 5 } as const;

export class ProtoError extends Error {}

export class ProtoReader {
  private pos: number;
  private readonly end: number;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field's number and wire type, or null at the end of the message. */
  tag(): { field: number; wire: number } | null {
    if (this.done) return null;
    const t = this.uint();
    const field = Math.floor(t / 8);
    if (field === 0) throw new ProtoError(`field number 0 at ${this.pos}`);
    return { field, wire: t % 8 };
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw new ProtoError("truncated varint");
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new ProtoError("varint longer than 10 bytes");
  }

  /** An unsigned varint that must fit a JS number exactly: tags, lengths, enums. */
  uint(): number {
    const v = this.varint();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtoError(`varint ${v} too large`);
    return Number(v);
  }

  int64(): bigint {
    return BigInt.asIntN(64, this.varint());
  }

  /** Negative int32 values are sign-extended to ten bytes on the wire. */
  int32(): number {
    return Number(BigInt.asIntN(32, this.varint()));
  }

  double(): number {
    return this.view.getFloat64(this.take(8), true);
  }

  float(): number {
    return this.view.getFloat32(this.take(4), true);
  }

  bytes(): Uint8Array {
    const n = this.uint();
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  string(): string {
    return new TextDecoder().decode(this.bytes());
  }

  /** A reader over the next length-delimited field. */
  sub(): ProtoReader {
    const n = this.uint();
    const at = this.take(n);
    return new ProtoReader(this.buf, at, at + n);
  }

  /** Reads a repeated scalar field given either packed (wire type 2) or one element at a time. */
  repeated<T>(wire: number, elementWire: number, read: (r: ProtoReader) => T, into: T[]) {
    if (wire === WIRE.bytes && elementWire !== WIRE.bytes) {
      const r = this.sub();
      while (!r.done) into.push(read(r));
    } else if (wire === elementWire) {
      into.push(read(this));
    } else {
      throw new ProtoError(`wire type ${wire} where ${elementWire} was expected`);
    }
  }

  skip(wire: number, field = 0) {
    switch (wire) {
      case WIRE.varint:
        this.varint();
        return;
      case WIRE.fixed64:
        this.take(8);
        return;
      case WIRE.bytes:
        this.take(this.uint());
        return;
      case WIRE.fixed32:
        this.take(4);
        return;
      case WIRE.startGroup:
        for (;;) {
          const t = this.tag();
          if (t === null) throw new ProtoError(`unterminated group ${field}`);
          if (t.wire === WIRE.endGroup) {
            if (t.field !== field) throw new ProtoError(`group ${field} ended by ${t.field}`);
            return;
          }
          this.skip(t.wire, t.field);
        }
      default:
        throw new ProtoError(`wire type ${wire} cannot be skipped here`);
    }
  }

  private take(n: number): number {
    if (this.pos + n > this.end) throw new ProtoError(`field runs past its message (${n} bytes at ${this.pos})`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
}

export class ProtoWriter {
  private buf = new Uint8Array(64);
  private len = 0;
  private view = new DataView(this.buf.buffer);

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      this.byte(v > 0n ? b | 0x80 : b);
    } while (v > 0n);
    return this;
  }

  double(v: number): this {
    this.room(8);
    this.view.setFloat64(this.len, v, true);
    this.len += 8;
    return this;
  }

  float(v: number): this {
    this.room(4);
    this.view.setFloat32(this.len, v, true);
    this.len += 4;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.varint(data.length);
    this.room(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  string(s: string): this {
    return this.bytes(new TextEncoder().encode(s));
  }

  /** A length-delimited field holding the message `write` produces. */
  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.tag(field, WIRE.bytes).bytes(inner.finish());
  }

  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }

  private byte(b: number) {
    this.room(1);
    this.buf[this.len++] = b;
  }

  private room(n: number) {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}
