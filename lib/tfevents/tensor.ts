import { ProtoReader, ProtoWriter, WIRE } from "./proto";

/** TensorFlow DataType enum values this codec can read as numbers. */
export const DT = { FLOAT: 1, DOUBLE: 2, INT32: 3, INT64: 9, BFLOAT16: 14, HALF: 19 } as const;

export interface TensorProto {
  dtype: number;
  /** Dimension sizes; empty for a rank-0 tensor (and when no shape was written). */
  shape: bigint[];
  content?: Uint8Array;
  floatVal: number[];
  doubleVal: number[];
  /** HALF and BFLOAT16 values: each one's 16 bits, held in an int32. */
  halfVal: number[];
  intVal: number[];
  int64Val: bigint[];
}

export function emptyTensor(dtype: number): TensorProto {
  return { dtype, shape: [], floatVal: [], doubleVal: [], halfVal: [], intVal: [], int64Val: [] };
}

function decodeShape(r: ProtoReader): bigint[] {
  const dims: bigint[] = [];
  for (let t = r.tag(); t; t = r.tag()) {
    if (t.field === 2 && t.wire === WIRE.bytes) {
      const d = r.sub();
      let size = 0n;
      for (let u = d.tag(); u; u = d.tag()) {
        if (u.field === 1 && u.wire === WIRE.varint) size = d.int64();
        else d.skip(u.wire, u.field);
      }
      dims.push(size);
    } else r.skip(t.wire, t.field);
  }
  return dims;
}

export function decodeTensor(r: ProtoReader): TensorProto {
  const t = emptyTensor(0);
  for (let f = r.tag(); f; f = r.tag()) {
    const { field, wire } = f;
    if (field === 1 && wire === WIRE.varint) t.dtype = r.int32();
    else if (field === 2 && wire === WIRE.bytes) t.shape = decodeShape(r.sub());
    else if (field === 4 && wire === WIRE.bytes) t.content = r.bytes();
    else if (field === 5 && (wire === WIRE.bytes || wire === WIRE.fixed32)) r.repeated(wire, WIRE.fixed32, (x) => x.float(), t.floatVal);
    else if (field === 6 && (wire === WIRE.bytes || wire === WIRE.fixed64)) r.repeated(wire, WIRE.fixed64, (x) => x.double(), t.doubleVal);
    else if (field === 7 && (wire === WIRE.bytes || wire === WIRE.varint)) r.repeated(wire, WIRE.varint, (x) => x.int32(), t.intVal);
    else if (field === 10 && (wire === WIRE.bytes || wire === WIRE.varint)) r.repeated(wire, WIRE.varint, (x) => x.int64(), t.int64Val);
    else if (field === 13 && (wire === WIRE.bytes || wire === WIRE.varint)) r.repeated(wire, WIRE.varint, (x) => x.int32(), t.halfVal);
    else r.skip(wire, field);
  }
  return t;
}

/** Writes the typed `*_val` fields packed, as proto3 does. */
export function encodeTensor(w: ProtoWriter, t: TensorProto) {
  w.tag(1, WIRE.varint).varint(t.dtype);
  w.message(2, (s) => {
    for (const size of t.shape) s.message(2, (d) => d.tag(1, WIRE.varint).varint(size));
  });
  if (t.content) w.tag(4, WIRE.bytes).bytes(t.content);
  const packed = <T>(field: number, vals: T[], put: (p: ProtoWriter, v: T) => void) => {
    if (vals.length > 0) w.message(field, (p) => vals.forEach((v) => put(p, v)));
  };
  packed(5, t.floatVal, (p, v) => p.float(v));
  packed(6, t.doubleVal, (p, v) => p.double(v));
  packed(7, t.intVal, (p, v) => p.varint(v));
  packed(10, t.int64Val, (p, v) => p.varint(v));
  packed(13, t.halfVal, (p, v) => p.varint(v));
}

export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** bfloat16 is the upper half of a float32. */
export function bfloat16ToNumber(bits: number): number {
  const v = new DataView(new ArrayBuffer(4));
  v.setUint32(0, (bits & 0xffff) << 16);
  return v.getFloat32(0);
}

const ELEMENT_BYTES: Record<number, number> = { [DT.FLOAT]: 4, [DT.DOUBLE]: 8, [DT.INT32]: 4, [DT.INT64]: 8, [DT.BFLOAT16]: 2, [DT.HALF]: 2 };

function fromContent(dtype: number, c: Uint8Array): number {
  const v = new DataView(c.buffer, c.byteOffset, c.byteLength);
  switch (dtype) {
    case DT.FLOAT: return v.getFloat32(0, true);
    case DT.DOUBLE: return v.getFloat64(0, true);
    case DT.INT32: return v.getInt32(0, true);
    case DT.INT64: return Number(v.getBigInt64(0, true));
    case DT.HALF: return halfToNumber(v.getUint16(0, true));
    default: return bfloat16ToNumber(v.getUint16(0, true));
  }
}

function typedValues(t: TensorProto): number[] {
  switch (t.dtype) {
    case DT.FLOAT: return t.floatVal;
    case DT.DOUBLE: return t.doubleVal;
    case DT.INT32: return t.intVal;
    case DT.INT64: return t.int64Val.map(Number);
    case DT.HALF: return t.halfVal.map(halfToNumber);
    default: return t.halfVal.map(bfloat16ToNumber);
  }
}

/**
 * The value of a one-element numeric tensor, or null when the tensor is not one (another dtype,
 * more elements, or inconsistent sizes). An INT64 value beyond 2^53 is rounded: it is a metric.
 */
export function scalarOf(t: TensorProto): number | null {
  const size = ELEMENT_BYTES[t.dtype];
  if (size === undefined) return null;
  if (t.shape.reduce((a, b) => a * b, 1n) !== 1n) return null;
  if (t.content && t.content.length > 0) return t.content.length === size ? fromContent(t.dtype, t.content) : null;
  const vals = typedValues(t);
  // TensorFlow reads a tensor with no values at all as zeros.
  if (vals.length === 0) return 0;
  return vals.length === 1 ? vals[0] : null;
}
