import { ProtoReader, ProtoWriter, WIRE } from "./proto";
import { decodeTensor, encodeTensor, scalarOf, type TensorProto } from "./tensor";

/** The parts of tensorflow.Event / Summary this codec reads; every other field is skipped. */
export interface SummaryMetadata {
  pluginName?: string;
  pluginContent?: Uint8Array;
}

export interface SummaryValue {
  tag: string;
  simpleValue?: number;
  tensor?: TensorProto;
  metadata?: SummaryMetadata;
}

export interface TfEvent {
  wallTime: number;
  /** int64 on the wire; kept exact so steps past 2^53 can be refused rather than rounded. */
  step: bigint;
  fileVersion?: string;
  summary?: SummaryValue[];
}

export interface ScalarPoint {
  tag: string;
  step: number;
  wallTime: number;
  value: number;
}

export class StepRangeError extends Error {}

function decodeMetadata(r: ProtoReader): SummaryMetadata {
  const m: SummaryMetadata = {};
  for (let t = r.tag(); t; t = r.tag()) {
    if (t.field === 1 && t.wire === WIRE.bytes) {
      const p = r.sub();
      for (let u = p.tag(); u; u = p.tag()) {
        if (u.field === 1 && u.wire === WIRE.bytes) m.pluginName = p.string();
        else if (u.field === 2 && u.wire === WIRE.bytes) m.pluginContent = p.bytes();
        else p.skip(u.wire, u.field);
      }
    } else r.skip(t.wire, t.field);
  }
  return m;
}

function decodeValue(r: ProtoReader): SummaryValue {
  const v: SummaryValue = { tag: "" };
  for (let t = r.tag(); t; t = r.tag()) {
    if (t.field === 1 && t.wire === WIRE.bytes) v.tag = r.string();
    else if (t.field === 2 && t.wire === WIRE.fixed32) v.simpleValue = r.float();
    else if (t.field === 8 && t.wire === WIRE.bytes) v.tensor = decodeTensor(r.sub());
    else if (t.field === 9 && t.wire === WIRE.bytes) v.metadata = decodeMetadata(r.sub());
    else r.skip(t.wire, t.field);
  }
  return v;
}

function decodeSummary(r: ProtoReader): SummaryValue[] {
  const values: SummaryValue[] = [];
  for (let t = r.tag(); t; t = r.tag()) {
    if (t.field === 1 && t.wire === WIRE.bytes) values.push(decodeValue(r.sub()));
    else r.skip(t.wire, t.field);
  }
  return values;
}

/** Throws ProtoError on malformed bytes. */
export function decodeEvent(data: Uint8Array): TfEvent {
  const r = new ProtoReader(data);
  const e: TfEvent = { wallTime: 0, step: 0n };
  for (let t = r.tag(); t; t = r.tag()) {
    if (t.field === 1 && t.wire === WIRE.fixed64) e.wallTime = r.double();
    else if (t.field === 2 && t.wire === WIRE.varint) e.step = r.int64();
    else if (t.field === 3 && t.wire === WIRE.bytes) e.fileVersion = r.string();
    else if (t.field === 5 && t.wire === WIRE.bytes) e.summary = [...(e.summary ?? []), ...decodeSummary(r.sub())];
    else r.skip(t.wire, t.field);
  }
  return e;
}

/** Fields in field-number order, defaults omitted, as protobuf serializers write them. */
export function encodeEvent(e: TfEvent): Buffer {
  const w = new ProtoWriter();
  if (e.wallTime !== 0) w.tag(1, WIRE.fixed64).double(e.wallTime);
  if (e.step !== 0n) w.tag(2, WIRE.varint).varint(e.step);
  if (e.fileVersion !== undefined) w.tag(3, WIRE.bytes).string(e.fileVersion);
  const summary = e.summary;
  if (summary) {
    w.message(5, (s) => {
      for (const v of summary) {
        s.message(1, (m) => {
          if (v.tag !== "") m.tag(1, WIRE.bytes).string(v.tag);
          if (v.simpleValue !== undefined) m.tag(2, WIRE.fixed32).float(v.simpleValue);
          if (v.tensor) m.message(8, (x) => encodeTensor(x, v.tensor!));
          const meta = v.metadata;
          if (meta) {
            m.message(9, (md) =>
              md.message(1, (p) => {
                if (meta.pluginName !== undefined) p.tag(1, WIRE.bytes).string(meta.pluginName);
                if (meta.pluginContent !== undefined) p.tag(2, WIRE.bytes).bytes(meta.pluginContent);
              }),
            );
          }
        });
      }
    });
  }
  return w.finish();
}

const MAX_EXACT_STEP = 2n ** 53n;

export function stepNumber(step: bigint): number {
  if (step > MAX_EXACT_STEP || step < -MAX_EXACT_STEP) throw new StepRangeError(`step ${step} does not fit a double exactly`);
  return Number(step);
}

/**
 * The scalar points in one event: `simple_value`s (TF1, PyTorch's add_scalar) and one-element
 * numeric tensors (tf.summary.scalar in TF2). Writers put a tag's plugin metadata on its first
 * value only; pass the same `plugins` map across a file's events so a tensor under a non-scalar
 * plugin (histograms, images...) is not mistaken for a scalar later on.
 * Throws StepRangeError for a step past 2^53 in magnitude.
 */
export function scalars(event: TfEvent, plugins: Map<string, string> = new Map()): ScalarPoint[] {
  const out: ScalarPoint[] = [];
  for (const v of event.summary ?? []) {
    if (v.metadata?.pluginName) plugins.set(v.tag, v.metadata.pluginName);
    let value: number | null = null;
    if (v.simpleValue !== undefined) value = v.simpleValue;
    else if (v.tensor) {
      const plugin = plugins.get(v.tag);
      if (plugin === undefined || plugin === "scalars") value = scalarOf(v.tensor);
    }
    if (value !== null) out.push({ tag: v.tag, step: stepNumber(event.step), wallTime: event.wallTime, value });
  }
  return out;
}
