import type { StepReport } from "../../formats/dataset-report";

/** One document moving through the cleaning stages; stages return new objects, never mutate. */
export interface Doc {
  id: string;
  domain: string;
  /** File path, or `package#index` for documents read through a package's API. */
  source: string;
  text: string;
}

export interface StepResult {
  docs: Doc[];
  report: StepReport;
  /** The same step seen per domain, so the dashboard can chart each domain through the steps. */
  domainReports?: StepReport[];
}

/** A document the safety stage removed, kept aside for review. */
export interface Flagged {
  id: string;
  domain: string;
  /** Weighted rule hits per 1,000 words. */
  score: number;
  hits: string[];
  /** Truncated. */
  text: string;
}
