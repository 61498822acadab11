// How many cases the property-based tests generate: small in the normal suite (seconds), more
// with FC_NUM_RUNS=<n> in the environment (e.g. FC_NUM_RUNS=20000 npx mocha …).

const requested = Number(process.env.FC_NUM_RUNS);
const fromEnv = Number.isSafeInteger(requested) && requested > 0 ? requested : undefined;

export const FC_RUNS = {
  /** Pure checks (microseconds a case). */
  unit: fromEnv ?? 300,
  /** Cases through a deployed node over loopback HTTP (tens of milliseconds a case). */
  node: fromEnv === undefined ? 15 : Math.max(15, Math.ceil(fromEnv / 20)),
};
