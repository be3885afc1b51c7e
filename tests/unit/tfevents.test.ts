import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../lib/rng";
import { crc32c, maskCrc, maskedCrc32c } from "../../lib/tfevents/crc32c";
import { decodeEvent, encodeEvent, scalars, StepRangeError, type TfEvent } from "../../lib/tfevents/events";
import { ProtoError, ProtoReader, ProtoWriter, WIRE } from "../../lib/tfevents/proto";
import { DT, emptyTensor, encodeTensor, type TensorProto } from "../../lib/tfevents/tensor";
import { encodeRecord, RecordReader, type RecordItem } from "../../lib/tfevents/tfrecord";
import { encodeEventFile, eventFileName, FILE_VERSION } from "../../lib/tfevents/writer";

const f32 = (x: number) => Math.fround(x);
const records = (items: RecordItem[]) => items.map((i) => (i.ok ? { offset: i.offset, data: i.data.toString("hex") } : i));

test("CRC-32C matches RFC 3720 B.4 and the usual check value", () => {
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test("the masked CRC rotates right by 15 and adds 0xa282ead8, modulo 2^32", () => {
  assert.equal(maskCrc(0), 0xa282ead8);
  assert.equal(maskCrc(0x00008000), 0xa282ead9);
  // 0xe3069283 rotated right by 15 is 0x2507c60d; plus the constant wraps past 2^32.
  assert.equal(maskCrc(0xe3069283), (0x2507c60d + 0xa282ead8) % 2 ** 32);
  assert.equal(maskedCrc32c(Buffer.from("123456789")), maskCrc(0xe3069283));
});

function sampleRecords(rng: Rng): Buffer[] {
  return [0, 1, 7, 12, 300, 5000].map((n) => Buffer.from(Array.from({ length: n }, () => rng.int(256))));
}

test("records round-trip through the reader, at the offsets they were written", () => {
  const datas = sampleRecords(new Rng(1));
  const file = Buffer.concat(datas.map(encodeRecord));
  const r = new RecordReader();
  const got = r.push(file);
  let offset = 0;
  assert.deepEqual(
    records(got),
    datas.map((d) => {
      const item = { offset, data: d.toString("hex") };
      offset += d.length + 16;
      return item;
    }),
  );
  assert.equal(r.pending, 0);
  assert.equal(r.offset, file.length);
  assert.deepEqual(r.end(), []);
});

test("fed one byte at a time, or in random chunks, the reader yields the same records", () => {
  const rng = new Rng(2);
  const file = Buffer.concat(sampleRecords(rng).map(encodeRecord));
  const whole = records(new RecordReader().push(file));
  const bytewise = new RecordReader();
  const one: RecordItem[] = [];
  for (let i = 0; i < file.length; i++) one.push(...bytewise.push(file.subarray(i, i + 1)));
  assert.deepEqual(records(one), whole);
  for (let trial = 0; trial < 20; trial++) {
    const reader = new RecordReader();
    const got: RecordItem[] = [];
    for (let at = 0; at < file.length; ) {
      const n = rng.int(40) === 0 ? 0 : 1 + rng.int(600);
      got.push(...reader.push(file.subarray(at, at + n)));
      at += n;
    }
    assert.deepEqual(records(got), whole, `trial ${trial}`);
  }
});

test("a torn last record waits for its bytes; at the end it is reported as truncated", () => {
  const a = encodeRecord(Buffer.from("first"));
  const b = encodeRecord(Buffer.from("second record"));
  for (const cut of [1, 11, 12, 13, b.length - 1]) {
    const r = new RecordReader();
    assert.deepEqual(records(r.push(Buffer.concat([a, b.subarray(0, cut)]))), [{ offset: 0, data: Buffer.from("first").toString("hex") }]);
    assert.equal(r.pending, cut);
    assert.equal(r.offset, a.length);
    assert.deepEqual(records(r.push(b.subarray(cut))), [{ offset: a.length, data: Buffer.from("second record").toString("hex") }]);
  }
  const r = new RecordReader();
  r.push(b.subarray(0, 20));
  assert.deepEqual(r.end(), [{ ok: false, offset: 0, error: "truncated" }]);
});

test("a reader resumed at an offset reports absolute offsets", () => {
  const r = new RecordReader({ startOffset: 1000 });
  const got = r.push(Buffer.concat([encodeRecord(Buffer.from("x")), encodeRecord(Buffer.from("y"))]));
  assert.deepEqual(got.map((g) => g.offset), [1000, 1017]);
});

function corrupt(flip: (file: Buffer, starts: number[]) => number) {
  const datas = ["alpha", "bravo-bravo", "charlie", "delta"].map((s) => Buffer.from(s));
  const parts = datas.map(encodeRecord);
  const starts = parts.map((_, i) => parts.slice(0, i).reduce((n, p) => n + p.length, 0));
  const file = Buffer.concat(parts);
  const bit = flip(file, starts);
  file[bit >> 3] ^= 1 << (bit & 7);
  return { datas, starts, file };
}

test("a flipped bit in a record's data is reported at that record's offset; the next records still read", () => {
  const { datas, starts, file } = corrupt((_, s) => (s[1] + 12 + 3) * 8 + 5);
  for (const feed of [(r: RecordReader) => r.push(file), (r: RecordReader) => [...file].flatMap((b) => r.push(Buffer.from([b])))]) {
    const got = feed(new RecordReader());
    assert.deepEqual(records(got), [
      { offset: starts[0], data: datas[0].toString("hex") },
      { ok: false, offset: starts[1], error: "data-crc" },
      { offset: starts[2], data: datas[2].toString("hex") },
      { offset: starts[3], data: datas[3].toString("hex") },
    ]);
  }
});

test("a flipped bit in the data CRC is a data-crc error too", () => {
  const { starts, file } = corrupt((_, s) => (s[2] - 2) * 8);
  const got = new RecordReader().push(file);
  assert.deepEqual(got.map((g) => (g.ok ? "ok" : `${g.error}@${g.offset}`)), ["ok", `data-crc@${starts[1]}`, "ok", "ok"]);
});

test("a flipped bit in a length is reported once; the reader resynchronises on the next valid record", () => {
  const { datas, starts, file } = corrupt((_, s) => (s[1] + 1) * 8 + 2);
  const whole = records(new RecordReader().push(file));
  assert.deepEqual(whole, [
    { offset: starts[0], data: datas[0].toString("hex") },
    { ok: false, offset: starts[1], error: "length-crc" },
    { offset: starts[2], data: datas[2].toString("hex") },
    { offset: starts[3], data: datas[3].toString("hex") },
  ]);
  const r = new RecordReader();
  const bytewise = [...file].flatMap((b) => r.push(Buffer.from([b])));
  assert.deepEqual(records(bytewise), whole);
});

test("a length with a valid CRC but beyond the limit is refused, then the reader resynchronises", () => {
  const big = encodeRecord(Buffer.alloc(100, 7));
  const small = encodeRecord(Buffer.from("ok"));
  const got = new RecordReader({ maxRecordBytes: 50 }).push(Buffer.concat([big, small]));
  assert.deepEqual(records(got), [
    { ok: false, offset: 0, error: "too-large" },
    { offset: big.length, data: Buffer.from("ok").toString("hex") },
  ]);
});

test("events round-trip, NaN and infinities included", () => {
  const event: TfEvent = {
    wallTime: 1712345678.125,
    step: -4n,
    summary: [
      { tag: "nan", simpleValue: NaN },
      { tag: "inf", simpleValue: Infinity },
      { tag: "-inf", simpleValue: -Infinity },
      { tag: "x", simpleValue: f32(0.1) },
    ],
  };
  const back = decodeEvent(encodeEvent(event));
  assert.deepEqual(back, event);
  assert.deepEqual(scalars(back).map((p) => [p.tag, p.value, p.step, p.wallTime]), [
    ["nan", NaN, -4, 1712345678.125],
    ["inf", Infinity, -4, 1712345678.125],
    ["-inf", -Infinity, -4, 1712345678.125],
    ["x", f32(0.1), -4, 1712345678.125],
  ]);
  assert.deepEqual(decodeEvent(encodeEvent({ wallTime: 5, step: 0n, fileVersion: FILE_VERSION })), { wallTime: 5, step: 0n, fileVersion: FILE_VERSION });
});

test("steps beyond 2^53 are an error, not rounded", () => {
  const at = (step: bigint) => scalars(decodeEvent(encodeEvent({ wallTime: 1, step, summary: [{ tag: "a", simpleValue: 1 }] })));
  assert.equal(at(2n ** 53n)[0].step, 2 ** 53);
  assert.equal(at(-(2n ** 53n))[0].step, -(2 ** 53));
  assert.throws(() => at(2n ** 53n + 1n), StepRangeError);
  assert.throws(() => at(2n ** 63n - 1n), StepRangeError);
  assert.equal(decodeEvent(encodeEvent({ wallTime: 1, step: 2n ** 63n - 1n })).step, 2n ** 63n - 1n);
});

/** One tensor-valued summary, as tf.summary.scalar writes it: plugin "scalars", rank 0. */
function tensorEvent(tensor: Uint8Array | TensorProto, tag = "t", plugin: string | null = "scalars") {
  const w = new ProtoWriter();
  w.tag(1, WIRE.fixed64).double(10.5).tag(2, WIRE.varint).varint(7);
  w.message(5, (s) =>
    s.message(1, (v) => {
      v.tag(1, WIRE.bytes).string(tag);
      if (tensor instanceof Uint8Array) v.tag(8, WIRE.bytes).bytes(tensor);
      else v.message(8, (t) => encodeTensor(t, tensor));
      if (plugin) v.message(9, (m) => m.message(1, (p) => p.tag(1, WIRE.bytes).string(plugin)));
    }),
  );
  return decodeEvent(w.finish());
}

const valueOf = (tensor: Uint8Array | TensorProto) => {
  const pts = scalars(tensorEvent(tensor));
  assert.equal(pts.length, 1);
  assert.deepEqual({ ...pts[0], value: 0 }, { tag: "t", step: 7, wallTime: 10.5, value: 0 });
  return pts[0].value;
};

const content = (n: number, put: (b: Buffer) => void) => {
  const b = Buffer.alloc(n);
  put(b);
  return b;
};

const withContent = (dtype: number, c: Buffer, shape: bigint[] = []): TensorProto => ({ ...emptyTensor(dtype), shape, content: c });
const withVals = (dtype: number, vals: Partial<TensorProto>, shape: bigint[] = []): TensorProto => ({ ...emptyTensor(dtype), shape, ...vals });

test("tensor scalars in tensor_content, every listed dtype", () => {
  assert.equal(valueOf(withContent(DT.FLOAT, content(4, (b) => b.writeFloatLE(0.25)))), 0.25);
  assert.equal(valueOf(withContent(DT.FLOAT, content(4, (b) => b.writeFloatLE(-Infinity)))), -Infinity);
  assert.equal(valueOf(withContent(DT.DOUBLE, content(8, (b) => b.writeDoubleLE(0.1)))), 0.1);
  assert.ok(Number.isNaN(valueOf(withContent(DT.DOUBLE, content(8, (b) => b.writeDoubleLE(NaN))))));
  assert.equal(valueOf(withContent(DT.HALF, content(2, (b) => b.writeUInt16LE(0x3c00 | 0x200)))), 1.5);
  assert.equal(valueOf(withContent(DT.HALF, content(2, (b) => b.writeUInt16LE(0xfc00)))), -Infinity);
  assert.equal(valueOf(withContent(DT.HALF, content(2, (b) => b.writeUInt16LE(0x0001)))), 2 ** -24);
  assert.equal(valueOf(withContent(DT.BFLOAT16, content(2, (b) => b.writeUInt16LE(0xc0a0)))), -5);
  assert.ok(Number.isNaN(valueOf(withContent(DT.BFLOAT16, content(2, (b) => b.writeUInt16LE(0x7fc0))))));
  assert.equal(valueOf(withContent(DT.INT32, content(4, (b) => b.writeInt32LE(-123456)))), -123456);
  assert.equal(valueOf(withContent(DT.INT64, content(8, (b) => b.writeBigInt64LE(-(2n ** 40n))))), -(2 ** 40));
});

test("tensor scalars in the typed *_val fields, every listed dtype", () => {
  assert.equal(valueOf(withVals(DT.FLOAT, { floatVal: [f32(0.3)] })), f32(0.3));
  assert.equal(valueOf(withVals(DT.FLOAT, { floatVal: [Infinity] })), Infinity);
  assert.equal(valueOf(withVals(DT.DOUBLE, { doubleVal: [0.3] })), 0.3);
  assert.equal(valueOf(withVals(DT.HALF, { halfVal: [0xc000] })), -2);
  assert.ok(Number.isNaN(valueOf(withVals(DT.HALF, { halfVal: [0x7e00] }))));
  assert.equal(valueOf(withVals(DT.BFLOAT16, { halfVal: [0x3f40] })), 0.75);
  assert.equal(valueOf(withVals(DT.INT32, { intVal: [-7] })), -7);
  assert.equal(valueOf(withVals(DT.INT64, { int64Val: [-(2n ** 33n)] })), -(2 ** 33));
  assert.equal(valueOf(withVals(DT.FLOAT, {})), 0, "no values at all reads as zero, as TensorFlow does");
});

test("unpacked repeated values read the same as packed ones", () => {
  const t = new ProtoWriter().tag(1, WIRE.varint).varint(DT.FLOAT).tag(5, WIRE.fixed32).float(2.5).finish();
  assert.equal(valueOf(t), 2.5);
  const d = new ProtoWriter().tag(1, WIRE.varint).varint(DT.DOUBLE).tag(6, WIRE.fixed64).double(-0.125).finish();
  assert.equal(valueOf(d), -0.125);
  const i = new ProtoWriter().tag(1, WIRE.varint).varint(DT.INT32).tag(7, WIRE.varint).varint(-3).finish();
  assert.equal(i.length, 1 + 1 + 1 + 10, "a negative int32 takes ten bytes");
  assert.equal(valueOf(i), -3);
  const l = new ProtoWriter().tag(1, WIRE.varint).varint(DT.INT64).tag(10, WIRE.varint).varint(99).finish();
  assert.equal(valueOf(l), 99);
  const h = new ProtoWriter().tag(1, WIRE.varint).varint(DT.HALF).tag(13, WIRE.varint).varint(0x3400).finish();
  assert.equal(valueOf(h), 0.25);
  const b = new ProtoWriter().tag(1, WIRE.varint).varint(DT.BFLOAT16).tag(13, WIRE.varint).varint(0x4040).finish();
  assert.equal(valueOf(b), 3);
});

test("single-element tensors of higher rank count; bigger ones, other dtypes and mismatched content do not", () => {
  assert.equal(valueOf(withVals(DT.FLOAT, { floatVal: [4] }, [1n, 1n])), 4);
  assert.equal(valueOf(withContent(DT.DOUBLE, content(8, (b) => b.writeDoubleLE(6)), [1n])), 6);
  const none = (t: TensorProto) => assert.deepEqual(scalars(tensorEvent(t)), []);
  none(withVals(DT.FLOAT, { floatVal: [1, 2] }, [2n]));
  none(withContent(DT.FLOAT, Buffer.alloc(8), [2n]));
  none(withContent(DT.FLOAT, Buffer.alloc(8)));
  none(withVals(DT.FLOAT, { floatVal: [1] }, [0n]));
  none({ ...emptyTensor(7), shape: [] }); // DT_STRING
});

test("a tensor under another plugin is not a scalar, on later events without metadata too", () => {
  const plugins = new Map<string, string>();
  const hist = withVals(DT.DOUBLE, { doubleVal: [1] });
  assert.deepEqual(scalars(tensorEvent(hist, "h", "histograms"), plugins), []);
  assert.deepEqual(scalars(tensorEvent(hist, "h", null), plugins), []);
  assert.equal(scalars(tensorEvent(hist, "s", null), plugins).length, 1);
  assert.equal(plugins.get("h"), "histograms");
});

/** Appends one unknown field of every wire type, a group with nested fields included. */
function unknowns(w: ProtoWriter, field: number) {
  w.tag(field, WIRE.varint).varint(2n ** 63n);
  w.tag(field + 1, WIRE.fixed64).double(1);
  w.tag(field + 2, WIRE.bytes).string("unknown");
  w.tag(field + 3, WIRE.startGroup).tag(1, WIRE.varint).varint(5).tag(2, WIRE.startGroup).tag(2, WIRE.endGroup).tag(3, WIRE.fixed32).float(1);
  w.tag(field + 3, WIRE.endGroup);
  w.tag(field + 4, WIRE.fixed32).float(2);
  return w;
}

test("an unknown field of each wire type is skipped, in every message read", () => {
  const w = new ProtoWriter();
  unknowns(w, 40).tag(1, WIRE.fixed64).double(3).tag(2, WIRE.varint).varint(9);
  w.message(5, (s) => {
    unknowns(s, 20);
    s.message(1, (v) => {
      unknowns(v, 30).tag(1, WIRE.bytes).string("a");
      v.message(8, (t) => {
        unknowns(t, 50).tag(1, WIRE.varint).varint(DT.FLOAT);
        t.message(2, (shape) => {
          unknowns(shape, 60);
          shape.message(2, (d) => unknowns(d.tag(1, WIRE.varint).varint(1), 70));
        });
        t.tag(5, WIRE.fixed32).float(1.25);
      });
      v.message(9, (m) => unknowns(m, 80).message(1, (p) => unknowns(p, 90).tag(1, WIRE.bytes).string("scalars")));
    });
  });
  unknowns(w, 100);
  const e = decodeEvent(w.finish());
  assert.equal(e.summary?.[0].metadata?.pluginName, "scalars");
  assert.deepEqual(e.summary?.[0].tensor?.shape, [1n]);
  assert.deepEqual(scalars(e), [{ tag: "a", step: 9, wallTime: 3, value: 1.25 }]);
});

test("malformed protobuf is an error, not a wrong value", () => {
  assert.throws(() => decodeEvent(Buffer.from([0x09, 0, 0, 0])), ProtoError);
  assert.throws(() => decodeEvent(Buffer.from([0x10, 0xff])), ProtoError);
  assert.throws(() => decodeEvent(Buffer.from([0x2a, 0x05, 0x0a])), ProtoError);
  assert.throws(() => decodeEvent(Buffer.from([0x0b, 0x08, 0x01])), ProtoError, "unterminated group");
  assert.throws(() => decodeEvent(Buffer.from([0x0e])), ProtoError, "wire type 6");
  assert.throws(() => new ProtoReader(Buffer.alloc(11, 0xff)).varint(), ProtoError);
});

test("the exact record PyTorch's SummaryWriter writes for add_scalar('loss', 0.5, 3) at wall time 1700000000.25", () => {
  // add_scalar builds Summary(value=[Value(tag="loss", simple_value=0.5)]) (no metadata in the
  // default, non-new-style path), wraps it in Event(summary=...), sets wall_time and step, and
  // protobuf serializes fields in field-number order:
  //   09                       Event.wall_time: field 1, wire type 1 (64-bit) -> (1<<3)|1
  //   00 00 10 40 fc 54 d9 41  1700000000.25 as a little-endian double: 1700000000.25 * 4 =
  //                            6800000001 = 0x1_954F_C401 (33 bits), so the value is
  //                            1.954FC401(hex) * 2^32 * 2^-2 = 2^30 * 1.mantissa; biased exponent
  //                            1023 + 30 = 0x41D; the 32 mantissa bits after the leading 1 are
  //                            0x954FC401, padded to 52 bits -> 0x954FC40100000;
  //                            bits 0x41D954FC40100000, written low byte first
  //   10 03                    Event.step: field 2, wire type 0 (varint) -> 0x10; 3 -> 0x03
  //   2a 0d                    Event.summary: field 5, wire type 2 -> (5<<3)|2 = 0x2a; 13 bytes
  //   0a 0b                    Summary.value: field 1, wire type 2; 11 bytes
  //   0a 04 6c 6f 73 73        Value.tag: field 1, wire type 2, length 4, "loss" in ASCII
  //   15 00 00 00 3f           Value.simple_value: field 2, wire type 5 (32-bit) -> 0x15;
  //                            0.5f = 0x3F000000, little-endian
  // The 26-byte event is framed as a TFRecord: 1a 00 00 00 00 00 00 00 (uint64 LE length), the
  // masked CRC-32C of those 8 bytes, the event, then the masked CRC-32C of the event. The two
  // CRCs (0x2dd89b12 and 0x6ca17a01) were computed with a bit-at-a-time CRC-32C written apart
  // from lib/tfevents/crc32c.ts, whose table method the RFC vectors above pin down.
  const hex =
    "1a00000000000000" + "129bd82d" +
    "09" + "00001040fc54d941" + "1003" + "2a0d" + "0a0b" + "0a046c6f7373" + "150000003f" +
    "017aa16c";
  const bytes = Buffer.from(hex, "hex");
  assert.equal(bytes.length, 12 + 26 + 4);
  const [rec] = new RecordReader().push(bytes);
  assert.ok(rec.ok);
  const event = decodeEvent(rec.data);
  assert.deepEqual(event, { wallTime: 1700000000.25, step: 3n, summary: [{ tag: "loss", simpleValue: 0.5 }] });
  assert.deepEqual(scalars(event), [{ tag: "loss", step: 3, wallTime: 1700000000.25, value: 0.5 }]);
  assert.equal(encodeRecord(encodeEvent(event)).toString("hex"), hex, "our encoder writes the same bytes");
});

test("an exported event file starts with the file version and holds one event per step", () => {
  const points = [
    { tag: "loss", step: 2, wallTime: 102, value: 1.5 },
    { tag: "loss", step: 1, wallTime: 101, value: 2 },
    { tag: "lr", step: 1, wallTime: 101.5, value: 0.001 },
    { tag: "loss", step: 3, wallTime: 103, value: NaN },
  ];
  const file = encodeEventFile(points);
  const items = new RecordReader().push(file);
  assert.ok(items.every((i) => i.ok));
  const events = items.map((i) => decodeEvent((i as { data: Buffer }).data));
  assert.deepEqual(events[0], { wallTime: 101, step: 0n, fileVersion: "brain.Event:2" });
  assert.deepEqual(events.slice(1).map((e) => [e.step, e.wallTime, e.summary?.length]), [[1n, 101.5, 2], [2n, 102, 1], [3n, 103, 1]]);
  const plugins = new Map<string, string>();
  assert.deepEqual(events.flatMap((e) => scalars(e, plugins)), [
    { tag: "loss", step: 1, wallTime: 101.5, value: 2 },
    { tag: "lr", step: 1, wallTime: 101.5, value: f32(0.001) },
    { tag: "loss", step: 2, wallTime: 102, value: 1.5 },
    { tag: "loss", step: 3, wallTime: 103, value: NaN },
  ]);
  assert.deepEqual(decodeEvent((new RecordReader().push(encodeEventFile([], 55))[0] as { data: Buffer }).data), { wallTime: 55, step: 0n, fileVersion: FILE_VERSION });
  assert.throws(() => encodeEventFile([{ tag: "a", step: 2 ** 53, wallTime: 1, value: 1 }]), RangeError);
  assert.throws(() => encodeEventFile([{ tag: "a", step: 1.5, wallTime: 1, value: 1 }]), RangeError);
});

test("event file names follow TensorFlow's pattern", () => {
  assert.equal(eventFileName("gpu-box.lan", new Date(1700000000999)), "events.out.tfevents.1700000000.gpu-box.lan");
  assert.equal(eventFileName("a/b c", new Date(0)), "events.out.tfevents.0.a_b_c");
});
