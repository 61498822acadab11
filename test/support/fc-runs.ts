// How many cases a property-based test generates: small in the normal suite (seconds), more when
// FC_NUM_RUNS is set, e.g. `FC_NUM_RUNS=2000 npx mocha`. The one place every property test reads it.
// A failing run prints its seed and path; fc.assert(…, { seed, path }) replays it.

/**
 * `FC_NUM_RUNS` when set to a positive number, else the test's own small default.
 * `costlier`: how many times slower a case is than a pure check (e.g. 20 for a case through a
 * deployed node over loopback HTTP); such a test runs FC_NUM_RUNS / costlier cases, never fewer
 * than its default.
 */
export function numRuns(normal: number, costlier = 1): number {
  const fromEnv = Number(process.env.FC_NUM_RUNS);
  if (!Number.isFinite(fromEnv) || fromEnv <= 0) return normal;
  const requested = Math.round(fromEnv);
  return costlier > 1 ? Math.max(normal, Math.ceil(requested / costlier)) : requested;
}
