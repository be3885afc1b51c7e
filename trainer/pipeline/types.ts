/** One document moving through the cleaning stages; stages return new objects, never mutate. */
export interface Doc {
  id: string;
  domain: string;
  /** File path, or `package#index` for documents read through a package's API. */
  source: string;
  text: string;
}

/** A before/after sample shown in the dashboard; texts truncated to about 600 characters. */
export interface Example {
  id: string;
  before: string;
  after?: string;
  reason?: string;
}

export interface StepReport {
  step: string;
  /** Set on the per-domain reports; absent on the report over all domains. */
  domain?: string;
  enabled: boolean;
  docsIn: number;
  docsOut: number;
  /** UTF-8 byte lengths. */
  bytesIn: number;
  bytesOut: number;
  /** Up to 5. */
  examples: Example[];
  extra?: Record<string, number>;
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
