/** Where one parameter's values sit in a flat Float32 buffer. */
export interface Slot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/** Parameters laid end to end in the order given (the model's, sorted by name). */
export function flatLayout(shapes: [string, number[]][]): { slots: Slot[]; size: number } {
  let offset = 0;
  const slots = shapes.map(([name, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const slot = { name, shape, offset, size };
    offset += size;
    return slot;
  });
  return { slots, size: offset };
}
