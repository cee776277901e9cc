/**
 * Durations as people type them on the command line and in flags: "90s", "15m",
 * "12h", "7d", or plain seconds ("3600"). The one parser behind the server's
 * duration flags, `latchkey presign --expires-in` and `latchkey link log --since`;
 * each caller words its own error and applies its own bounds.
 */

const DURATION = /^(\d{1,9})([smhd]?)$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** The duration in seconds, or undefined when `text` is not one; `unitRequired` refuses a bare number. */
export function parseDurationSeconds(text: string, options: { readonly unitRequired?: boolean } = {}): number | undefined {
  const m = DURATION.exec(text.trim());
  const unit = m?.[2] ?? '';
  if (!m || (options.unitRequired === true && unit === '')) return undefined;
  return Number(m[1]) * (UNIT_SECONDS[unit] ?? 1);
}
