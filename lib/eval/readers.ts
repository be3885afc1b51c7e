/**
 * Benchmark files (jsonl, one example a line) in the shapes they are distributed in, normalised to
 * the task's example type. Pure: the caller supplies the text (see read-file.ts).
 *
 * - lambada: {"text": ...} (lambada_openai's jsonl).
 * - hellaswag: rowanz/hellaswag's jsonl or the Hugging Face rows: activity_label, ctx_a, ctx_b,
 *   endings (exactly 4), label (a number, or a string of digits as on Hugging Face; the unlabelled
 *   test split is refused). ind is optional.
 * - piqa: goal, sol1, sol2 and label (0 or 1), as in the Hugging Face piqa rows. The label is
 *   required: the original PIQA distribution keeps labels in a separate *-labels.lst file, which is
 *   not supported.
 * - arc_easy: AI2's original jsonl (question.stem, question.choices[{text,label}], answerKey) or the
 *   flattened Hugging Face rows (question, choices.text[], choices.label[], answerKey).
 */
import { z } from "zod";
import type { EvalTask } from "./contracts";
import { arcGold, type ArcDoc, type HellaswagDoc, type LambadaDoc, type PiqaDoc, type TaskDocs } from "./tasks";

/** At most this many choices per example (the predictions contract carries at most 16 ll values). */
const MAX_CHOICES = 16;

const Label = z.union([z.number(), z.string()]);

const LambadaLine = z.object({ text: z.string().min(1) });

const HellaswagLine = z.object({
  ind: z.number().int().optional(),
  activity_label: z.string(),
  ctx_a: z.string(),
  ctx_b: z.string(),
  endings: z.array(z.string()).length(4),
  label: Label,
});

const PiqaLine = z.object({ goal: z.string(), sol1: z.string(), sol2: z.string(), label: Label });

const ArcChoice = z.object({ text: z.string(), label: z.string().min(1) });
const ArcOriginal = z.object({
  id: z.string().optional(),
  question: z.object({ stem: z.string(), choices: z.array(ArcChoice).min(2).max(MAX_CHOICES) }),
  answerKey: z.string(),
});
const ArcFlat = z.object({
  id: z.string().optional(),
  question: z.string(),
  choices: z.object({ text: z.array(z.string()).min(2).max(MAX_CHOICES), label: z.array(z.string().min(1)) }),
  answerKey: z.string(),
});

function shape<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue.path.length ? `field ${issue.path.join(".")}: ` : "";
  throw new Error(where + issue.message);
}

/** Python's int() of the label, limited to 0..n-1. */
function labelIndex(value: number | string, n: number): number {
  let v: number;
  if (typeof value === "number") v = value;
  else {
    const s = value.trim();
    if (s === "") throw new Error(`label is empty (an unlabelled split cannot be scored)`);
    if (!/^[+-]?\d+$/.test(s)) throw new Error(`label ${JSON.stringify(value)} is not an integer`);
    v = Number(s);
  }
  if (!Number.isInteger(v) || v < 0 || v >= n) throw new Error(`label ${JSON.stringify(value)} is not an integer in 0..${n - 1}`);
  return v;
}

const PARSERS: { [T in EvalTask]: (raw: unknown) => TaskDocs[T] } = {
  lambada: (raw): LambadaDoc => ({ text: shape(LambadaLine, raw).text }),
  hellaswag: (raw): HellaswagDoc => {
    const d = shape(HellaswagLine, raw);
    const doc: HellaswagDoc = { activity_label: d.activity_label, ctx_a: d.ctx_a, ctx_b: d.ctx_b, endings: d.endings, label: labelIndex(d.label, 4) };
    if (d.ind !== undefined) doc.ind = d.ind;
    return doc;
  },
  piqa: (raw): PiqaDoc => {
    const r = raw as Record<string, unknown> | null;
    if (r && typeof r === "object" && !Array.isArray(r) && !("label" in r))
      throw new Error("label is missing: a label field is required (labels in a separate *-labels.lst file are not supported)");
    const d = shape(PiqaLine, raw);
    return { goal: d.goal, sol1: d.sol1, sol2: d.sol2, label: labelIndex(d.label, 2) };
  },
  arc_easy: (raw): ArcDoc => {
    const q = (raw as { question?: unknown } | null)?.question;
    let doc: ArcDoc;
    if (typeof q === "object" && q !== null) {
      const d = shape(ArcOriginal, raw);
      doc = { question: d.question.stem, choices: d.question.choices.map((c) => ({ text: c.text, label: c.label })), answerKey: d.answerKey };
      if (d.id !== undefined) doc.id = d.id;
    } else {
      const d = shape(ArcFlat, raw);
      if (d.choices.label.length !== d.choices.text.length)
        throw new Error(`choices has ${d.choices.text.length} texts but ${d.choices.label.length} labels`);
      doc = { question: d.question, choices: d.choices.text.map((text, i) => ({ text, label: d.choices.label[i] })), answerKey: d.answerKey };
      if (d.id !== undefined) doc.id = d.id;
    }
    const labels = doc.choices.map((c) => c.label);
    const dup = labels.find((l, i) => labels.indexOf(l) !== i);
    if (dup !== undefined) throw new Error(`choice label ${JSON.stringify(dup)} appears twice`);
    arcGold(doc);
    return doc;
  },
};

/**
 * Parses a jsonl benchmark file. Blank lines are skipped; a malformed line throws an Error that
 * starts with "fileName:line:" (1-based) and says what is wrong. A file with no examples throws too.
 */
export function parseTaskLines<T extends EvalTask>(task: T, text: string, fileName: string): TaskDocs[T][] {
  const parse = PARSERS[task] as ((raw: unknown) => TaskDocs[T]) | undefined;
  if (!parse) throw new Error(`${fileName}: unknown eval task ${JSON.stringify(task)}`);
  const lines = (text.startsWith("\uFEFF") ? text.slice(1) : text).split("\n");
  const out: TaskDocs[T][] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      throw new Error(`${fileName}:${i + 1}: invalid JSON (${(e as Error).message})`);
    }
    try {
      out.push(parse(raw));
    } catch (e) {
      throw new Error(`${fileName}:${i + 1}: ${task}: ${(e as Error).message}`);
    }
  });
  if (out.length === 0) throw new Error(`${fileName}: no ${task} examples (the file is empty)`);
  return out;
}
