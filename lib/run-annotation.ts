import { z } from "zod";

/** What a person may change about a run after it started: its name and how it is filed. */
export const LABEL = /^[\p{L}\p{N}][\p{L}\p{N} _.:/+-]{0,39}$/u;
export const RunAnnotation = z.object({
  name: z.string().trim().min(1, "Give the run a name").max(100, "At most 100 characters").optional(),
  notes: z.string().max(20_000, "Notes are at most 20,000 characters").optional(),
  labels: z
    .array(z.string().trim().regex(LABEL, "A label is 1–40 letters, digits, spaces or _ . : / + -, starting with a letter or digit"))
    .max(20, "At most 20 labels")
    .refine((l) => new Set(l).size === l.length, "Each label once")
    .optional(),
  project: z.string().trim().max(60, "At most 60 characters").nullable().optional(),
  starred: z.boolean().optional(),
  archived: z.boolean().optional(),
});
export type RunAnnotation = z.infer<typeof RunAnnotation>;
