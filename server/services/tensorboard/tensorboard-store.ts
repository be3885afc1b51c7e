import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ImportJobs, type ImportJob } from "../../../lib/tensorboard";

/**
 * The imports and follows, with each event file's read offset, in DATA_DIR/tensorboard/imports.json,
 * so a restarted server goes on where the last one stopped. Written whole to a temporary file
 * and renamed over the old one, so a crash leaves either the old state or the new.
 */
export class ImportStore {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, "tensorboard", "imports.json");
  }

  load(): ImportJob[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    const parsed = ImportJobs.safeParse(JSON.parse(text));
    if (!parsed.success) {
      // Set aside rather than overwritten: a person may want to see what it held.
      const aside = `${this.file}.bad-${Date.now()}`;
      fs.renameSync(this.file, aside);
      console.error(`tensorboard: ${this.file} did not parse (${parsed.error.issues[0]?.message}); moved to ${aside}, no follow resumed`);
      return [];
    }
    return parsed.data.imports;
  }

  async save(jobs: ImportJob[]): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${crypto.randomUUID().slice(0, 8)}`;
    await fs.promises.writeFile(tmp, JSON.stringify({ imports: jobs }));
    await fs.promises.rename(tmp, this.file);
  }
}
