// ISO-8601 checks. The server is strict RFC 3339 for instants (seconds and a zone required), so a
// client that sends a zone-less or truncated timestamp is caught here rather than mis-dated there.

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

function validDay(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(2000, m, 0)).getUTCDate(); // month length in a leap year
  if (m === 2 && d === 29) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= days;
}

/** An instant: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. */
export function isIsoDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (!validDay(y, mo, d) || h > 23 || mi > 59 || sec > 59) return false;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return false;
  return true;
}

/** A `date` property: a calendar date or an instant. */
export function isIsoDate(s: string): boolean {
  const m = DATE_ONLY.exec(s);
  if (m) return validDay(Number(m[1]), Number(m[2]), Number(m[3]));
  return isIsoDateTime(s);
}
