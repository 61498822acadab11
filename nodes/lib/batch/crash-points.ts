// Named places on the batch path where the crash tests kill the process (kill -9 from inside), so
// a test can stop Node-RED at an exact step of a record's life instead of at a lucky instant.
//
// Inert unless FULLSTORY_CRASH_AT is set in the environment, which only the crash tests do:
// `FULLSTORY_CRASH_AT=<point>:<n>` sends SIGKILL to this process at the n-th pass (1-based) through
// <point>. Reading one environment variable once per process costs nothing on the hot path.

export type CrashPoint =
  /** A msg arrived; its record is not yet written to the journal. */
  | 'before-journal-write'
  /** The journal holds the records, the job and its Idempotency-Key; the job POST is not sent. */
  | 'after-journal-write'
  /**
   * FullStory created the job and answered, but its id is not journaled yet: on disk this is the
   * same as a POST whose answer never came (the sandbox's lost-answer fault covers the wire side).
   */
  | 'after-job-post'
  /** The job exists (its id is journaled) and is being polled. */
  | 'while-polling'
  /** Outcomes are being sent to the outputs. */
  | 'while-reporting';

const armed = parse(process.env.FULLSTORY_CRASH_AT);
let passes = 0;

function parse(value: string | undefined): { point: string; at: number } | undefined {
  if (!value) return undefined;
  const [point, count] = value.split(':');
  const at = Number(count ?? '1');
  return point && Number.isInteger(at) && at > 0 ? { point, at } : undefined;
}

/** Kills this process here when a crash test asked for this point and pass; otherwise nothing. */
export function crashPoint(point: CrashPoint): void {
  if (armed === undefined || armed.point !== point) return;
  passes += 1;
  if (passes === armed.at) process.kill(process.pid, 'SIGKILL');
}
