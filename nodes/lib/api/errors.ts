// The one error shape every failure takes before it reaches output 2 (`msg.error`).

/** Codes of our own. FullStory's own codes (`invalid_argument`, `too_many_requests`, …) pass through. */
export type LocalErrorCode =
  // input validation (never sent)
  | 'invalid_payload'
  | 'invalid_operation'
  | 'invalid_identification'
  | 'invalid_property_name'
  | 'invalid_property_value'
  | 'too_many_properties'
  | 'property_value_too_large'
  | 'invalid_schema'
  | 'invalid_timestamp'
  | 'invalid_field'
  | 'missing_field'
  | 'payload_too_large'
  // a node setting (JSONata, msg path, flow/global/env, JSON) could not be evaluated
  | 'invalid_expression'
  // transport
  | 'timeout'
  | 'network_error'
  | 'invalid_response'
  | 'not_configured'
  | 'insecure_host'
  | 'idempotency_conflict'
  // batch mode
  | 'job_failed'
  | 'job_timeout'
  | 'outcome_unknown'
  | 'buffer_full'
  | 'reset'
  | 'partial_failure'
  | 'closed'
  // the batch journal (write-ahead, on disk) cannot be written: batch msgs are refused
  | 'journal_unavailable'
  // delivery: the msg could be neither written nor copied on its way out (done(err) reports it)
  | 'undeliverable';

export interface ErrorDetails {
  code: string;
  status?: number;
  retryable?: boolean;
  attempts?: number;
  /** FullStory's job id, for batch failures. */
  jobId?: string;
  /** Which field of the input is at fault (validation errors), e.g. `properties.plan-name`. */
  field?: string;
  /** Catalog key (under `errors.` of the fullstory-config catalog) and its vars, for localized text. */
  i18n?: ErrorI18n;
}

/** A message-catalog key for an error's text; `message` stays the English fallback. */
export interface ErrorI18n {
  key: string;
  /** Placeholder values; never secrets (validation values and limits only). */
  vars?: Record<string, string | number>;
  /** Vars that are catalog texts themselves (translated first; any one missing means English). */
  parts?: Record<string, { key: string; vars?: Record<string, string | number> }>;
}

/** What lands in `msg.error`: plain data, safe to JSON-serialise, no secrets. */
export interface MsgError {
  message: string;
  code: string;
  status?: number;
  retryable: boolean;
  attempts: number;
  jobId?: string;
  field?: string;
}

export class FullStoryError extends Error {
  readonly code: string;
  readonly status?: number;
  readonly retryable: boolean;
  attempts: number;
  readonly jobId?: string;
  readonly field?: string;
  readonly i18n?: ErrorI18n;
  /**
   * Whether FullStory may have applied the request although we saw no success (a timeout, a
   * dropped connection, a 5xx). Set by the client; decides whether resending can double-count.
   */
  maybeApplied = false;

  constructor(message: string, details: ErrorDetails) {
    super(message);
    this.name = 'FullStoryError';
    this.code = details.code;
    this.status = details.status;
    this.retryable = details.retryable ?? false;
    this.attempts = details.attempts ?? 0;
    this.jobId = details.jobId;
    this.field = details.field;
    this.i18n = details.i18n;
  }

  toMsgError(): MsgError {
    const out: MsgError = {
      message: this.message,
      code: this.code,
      retryable: this.retryable,
      attempts: this.attempts,
    };
    if (this.status !== undefined) out.status = this.status;
    if (this.jobId !== undefined) out.jobId = this.jobId;
    if (this.field !== undefined) out.field = this.field;
    return out;
  }
}

/** A validation failure: the input can never succeed as it is, so it is not retryable. */
export function invalidInput(code: LocalErrorCode, message: string, field?: string, i18n?: ErrorI18n): FullStoryError {
  return new FullStoryError(message, { code, retryable: false, attempts: 0, field, i18n });
}

/** Turns anything thrown into a FullStoryError (unexpected bugs become `internal_error`). */
export function asFullStoryError(err: unknown): FullStoryError {
  let message: string;
  try {
    if (err instanceof FullStoryError) return err;
    message = String(err instanceof Error ? err.message : err);
  } catch {
    // Something thrown that cannot even be looked at (a proxy, an object without a prototype).
    message = 'an unreadable value was thrown';
  }
  return new FullStoryError(message, { code: 'internal_error', retryable: false });
}
