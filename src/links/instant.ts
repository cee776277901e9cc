/**
 * Instants as the link admin API and CLI accept them: 'now', a date
 * (midnight UTC), or a date-time with Z or an offset (never local time,
 * which would mean different instants on the client and the server).
 */
const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;

export function parseInstant(text: string, now: () => number): Date | undefined {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === 'now') return new Date(now());
  if (!ISO.test(trimmed)) return undefined;
  // V8's Date.parse reads every form the pattern admits (an offset without its colon, a lower-case t or z, nine
  // fraction digits), but rolls a day past its month's end over (2025-02-30 would be 2 March): the date must read back.
  const ms = Date.parse(trimmed);
  if (Number.isNaN(ms)) return undefined;
  const date = trimmed.slice(0, 10);
  return new Date(Date.parse(date)).toISOString().startsWith(date) ? new Date(ms) : undefined;
}

export const INSTANT_HINT = "'now' or ISO 8601 (2025-06-01, 2025-06-01T12:00:00Z, 2025-06-01T14:00:00+02:00)";
