// How many cases a property-based test generates: small in the normal suite (seconds), more when
// FC_NUM_RUNS is set, e.g. `FC_NUM_RUNS=2000 npx mocha`.
// A failing run prints its seed and path; fc.assert(…, { seed, path }) replays it.

/** `FC_NUM_RUNS` when set to a positive number, else the test's own small default. */
export function numRuns(normal: number): number {
  const fromEnv = Number(process.env.FC_NUM_RUNS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? Math.round(fromEnv) : normal;
}
