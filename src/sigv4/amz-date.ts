const ISO_BASIC = /^\d{8}T\d{6}Z$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** 20150830T123600Z → epoch ms; undefined when malformed or not a real instant (20150231, 25h). */
export function parseAmzDate(text: string): number | undefined {
  if (!ISO_BASIC.test(text)) return undefined;
  const y = digits(text, 0, 4);
  const mo = digits(text, 4, 2);
  const d = digits(text, 6, 2);
  const h = digits(text, 9, 2);
  const mi = digits(text, 11, 2);
  const s = digits(text, 13, 2);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1];
  if (days === undefined || d < 1 || d > days || h > 23 || mi > 59 || s > 59) return undefined;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return date.getTime();
}

/** The number written by `length` ASCII digits from `start` (already known to be digits). */
function digits(text: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** ISO 8601 with seconds, as S3 prints times in error bodies. */
export function formatIsoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The HTTP Date header (RFC 7231 IMF-fixdate, and the obsolete forms Date.parse knows). */
export function parseHttpDate(text: string): number | undefined {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
