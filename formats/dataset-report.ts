// What each preparation stage did, as the manifest stores it and the dashboard shows it.

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
