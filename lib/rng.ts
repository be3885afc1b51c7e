/**
 * Seeded PRNG (sfc32). Its whole state is four uint32, so a checkpoint can save and restore it
 * exactly, and the same seed draws the same numbers on any machine (pure integer arithmetic).
 */
export class Rng {
  private s = new Uint32Array(4);

  constructor(seed: number) {
    // splitmix32 spreads a small integer seed over all 128 bits of state.
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const s = this.s;
    const t = (s[0] + s[1] + s[3]) >>> 0;
    s[3] = (s[3] + 1) >>> 0;
    s[0] = s[1] ^ (s[1] >>> 9);
    s[1] = (s[2] + (s[2] << 3)) >>> 0;
    s[2] = ((s[2] << 21) | (s[2] >>> 11)) >>> 0;
    s[2] = (s[2] + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * Standard normal by Box–Muller. The second variate is thrown away so that the state stays
   * the four words above, with no cached spare to save.
   */
  normal(): number {
    const u1 = 1 - this.next(); // (0, 1], so log is finite
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  getState(): number[] {
    return Array.from(this.s);
  }

  setState(state: number[]): void {
    if (state.length !== 4 || state.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff))
      throw new Error(`Rng state must be four uint32, got ${JSON.stringify(state)}`);
    this.s.set(state);
  }
}
