/**
 * Batches from a multi-domain token dataset. Each training sequence picks its domain with
 * probability equal to the domain's mixture weight, then takes the next window from that domain's
 * own sequential cursor. A small domain with a large weight therefore wraps more often (more
 * epochs) than a large one: the mixture, not the domain sizes, sets what the model sees.
 */
import type { Rng } from "../../lib/rng";
import { fromOriginal, toOriginal } from "./stream-filter";

export interface Batch {
  x: Int32Array; // [B, T] inputs
  y: Int32Array; // [B, T] next-token targets
}

export interface MixtureDomain {
  name: string;
  /** Share of training sequences; normalised over the domains given. */
  weight: number;
  train: Uint16Array;
  val: Uint16Array;
  /** With excluded documents cut out of `train`: each kept token's position in the stream as prepared. */
  origin?: Uint32Array | null;
  /** Tokens of the train stream as prepared (before any cut). */
  originalLength?: number;
}

/** Where a training window came from: its domain and the filtered position of its first token. */
export interface WindowSource {
  domain: string;
  start: number;
}

/** Plain JSON, saved in checkpoints. The rng that picks domains is saved beside it by the trainer. */
export interface MixtureState {
  /** Position of each domain's next window in its train shard as prepared (excluded documents count). */
  cursors: Record<string, number>;
  /** Sequences drawn from each domain so far. */
  drawn: Record<string, number>;
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

export class MixtureSampler {
  private readonly domains: MixtureDomain[];
  /** Cumulative normalised weights, in `domains` order. */
  private readonly cumulative: number[];
  private cursors: number[];
  private drawn: number[];

  /**
   * @param rng picks the domain of each sequence; the caller owns and checkpoints its state.
   * Domains are ordered by name so the same dataset samples the same way whatever its key order.
   */
  constructor(domains: MixtureDomain[], private readonly B: number, private readonly T: number, private readonly rng: Rng) {
    this.domains = domains.filter((d) => d.weight > 0).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (this.domains.length === 0) throw new Error("the dataset has no domain with a weight above 0");
    for (const d of this.domains)
      if (d.train.length < 2) throw new Error(`domain ${d.name} has ${d.train.length} training tokens; it needs at least 2`);
    const total = this.domains.reduce((n, d) => n + d.weight, 0);
    let acc = 0;
    this.cumulative = this.domains.map((d) => (acc += d.weight / total));
    this.cursors = this.domains.map(() => 0);
    this.drawn = this.domains.map(() => 0);
  }

  get names(): string[] {
    return this.domains.map((d) => d.name);
  }

  private pick(): number {
    const u = this.rng.next();
    const i = this.cumulative.findIndex((c) => u < c);
    return i < 0 ? this.domains.length - 1 : i; // u just under 1 with rounding in the sums
  }

  /**
   * `size` (default B) windows of T+1 tokens (x = first T, y = last T); each advances its domain's
   * cursor by T. Each window draws once from the rng, so the stream of windows is the same however
   * it is cut into batches: a batch-size ramp stays deterministic and resumable.
   */
  nextBatch(size: number = this.B, sources?: WindowSource[]): Batch {
    if (!Number.isSafeInteger(size) || size < 1) throw new Error(`batch size ${size} is not a positive integer`);
    const B = size;
    const { T } = this;
    const batch: Batch = { x: new Int32Array(B * T), y: new Int32Array(B * T) };
    for (let b = 0; b < B; b++) {
      const i = this.pick();
      const data = this.domains[i].train;
      fillWindow(data, this.cursors[i], T, batch, b);
      sources?.push({ domain: this.domains[i].name, start: this.cursors[i] });
      this.cursors[i] = (this.cursors[i] + T) % data.length;
      this.drawn[i]++;
    }
    return batch;
  }

  /** Passes over the domain's training tokens so far; above 1 means it has been repeated. */
  epochs(domain: string): number {
    const i = this.index(domain);
    return (this.drawn[i] * this.T) / this.domains[i].train.length;
  }

  /** Measured share of the sequences drawn so far that came from the domain (0 before any). */
  share(domain: string): number {
    const i = this.index(domain);
    const total = this.drawn.reduce((a, b) => a + b, 0);
    return total === 0 ? 0 : this.drawn[i] / total;
  }

  getState(): MixtureState {
    return {
      cursors: Object.fromEntries(this.domains.map((d, i) => [d.name, toOriginal(d.origin ?? null, this.cursors[i])])),
      drawn: Object.fromEntries(this.domains.map((d, i) => [d.name, this.drawn[i]])),
    };
  }

  /**
   * `otherDomains`: a fork that changed the mixture continues from its parent's state; domains the
   * state has and this sampler lacks are dropped, and domains it lacks start at 0.
   */
  setState(state: unknown, opts: { otherDomains?: boolean } = {}): void {
    const s = state as Partial<MixtureState> | null;
    if (!s || typeof s !== "object" || !s.cursors || !s.drawn) throw new Error(`data state ${JSON.stringify(state)} is not a mixture sampler state`);
    const names = this.names;
    const saved = Object.keys(s.cursors).sort();
    if (!opts.otherDomains && (saved.join(",") !== names.join(",") || Object.keys(s.drawn).sort().join(",") !== names.join(",")))
      throw new Error(`data state covers domains [${saved}], the dataset has [${names}]`);
    const missing = (d: MixtureDomain) => opts.otherDomains && !(d.name in s.cursors!);
    const cursors = this.domains.map((d) => {
      if (missing(d)) return 0;
      const c = s.cursors![d.name];
      const n = d.originalLength ?? d.train.length;
      if (!isCount(c) || c >= n) throw new Error(`data state cursor ${c} of domain ${d.name} is outside its ${n} tokens`);
      return fromOriginal(d.origin ?? null, c);
    });
    const drawn = this.domains.map((d) => {
      if (missing(d)) return 0;
      const n = s.drawn![d.name];
      if (!isCount(n)) throw new Error(`data state count ${n} of domain ${d.name} is not a non-negative integer`);
      return n;
    });
    this.cursors = cursors;
    this.drawn = drawn;
  }

  /**
   * `count` fixed validation batches: B·count windows split over the domains' val shards in
   * proportion to the weights (largest remainder), spread evenly within each shard. No rng:
   * the same windows on every call. Domains without validation tokens are left out.
   */
  valBatches(count: number): Batch[] {
    const { B, T } = this;
    const withVal = this.domains.filter((d) => d.val.length >= 2);
    if (withVal.length === 0) throw new Error("the dataset has no validation tokens in any domain");
    const total = B * count;
    const alloc = apportion(withVal.map((d) => d.weight), total);
    const windows: { data: Uint16Array; start: number }[] = [];
    withVal.forEach((d, i) => {
      const span = Math.max(1, d.val.length - T - 1);
      for (let k = 0; k < alloc[i]; k++) windows.push({ data: d.val, start: Math.floor((k * span) / alloc[i]) });
    });
    const out: Batch[] = [];
    for (let c = 0; c < count; c++) {
      const batch: Batch = { x: new Int32Array(B * T), y: new Int32Array(B * T) };
      for (let b = 0; b < B; b++) {
        const w = windows[c * B + b];
        fillWindow(w.data, w.start, T, batch, b);
      }
      out.push(batch);
    }
    return out;
  }

  private index(domain: string): number {
    const i = this.domains.findIndex((d) => d.name === domain);
    if (i < 0) throw new Error(`unknown domain ${domain}`);
    return i;
  }
}

/** Integer shares of `total` proportional to `weights`, summing to `total` (largest remainder). */
export function apportion(weights: number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / sum) * total);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    out[i]++;
  }
  return out;
}

/** Window of T+1 tokens at `start`, wrapping at the end of the shard. */
function fillWindow(data: Uint16Array, start: number, T: number, batch: Batch, row: number): void {
  const n = data.length;
  for (let i = 0; i < T; i++) {
    batch.x[row * T + i] = data[(start + i) % n];
    batch.y[row * T + i] = data[(start + i + 1) % n];
  }
}
