/** Binary min-heap on (primary, secondary) number pairs; the popped pair is left in primary/secondary. */
export class PairHeap {
  private p: number[] = [];
  private s: number[] = [];
  primary = 0;
  secondary = 0;

  private less(i: number, j: number): boolean {
    return this.p[i] < this.p[j] || (this.p[i] === this.p[j] && this.s[i] < this.s[j]);
  }

  private swap(i: number, j: number): void {
    const { p, s } = this;
    [p[i], p[j]] = [p[j], p[i]];
    [s[i], s[j]] = [s[j], s[i]];
  }

  push(primary: number, secondary: number): void {
    let i = this.p.length;
    this.p.push(primary);
    this.s.push(secondary);
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.less(i, up)) break;
      this.swap(i, up);
      i = up;
    }
  }

  pop(): boolean {
    const { p, s } = this;
    if (p.length === 0) return false;
    this.primary = p[0];
    this.secondary = s[0];
    const lastP = p.pop()!;
    const lastS = s.pop()!;
    if (p.length === 0) return true;
    p[0] = lastP;
    s[0] = lastS;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      let m = i;
      if (l < p.length && this.less(l, m)) m = l;
      if (l + 1 < p.length && this.less(l + 1, m)) m = l + 1;
      if (m === i) return true;
      this.swap(i, m);
      i = m;
    }
  }
}
