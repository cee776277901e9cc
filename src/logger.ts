import type { Writable } from 'node:stream';

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/**
 * JSON lines for machines; a compact "key=value" line when a person watches a
 * terminal. Lines written in the same turn of the event loop go out in one
 * write: under load, a write per request costs more than formatting it.
 */
export function createLogger(out: Writable & { isTTY?: boolean }, human = out.isTTY === true): Logger {
  // Many lines are written within one millisecond: format its time once.
  let lastMs = NaN;
  let lastIso = '';
  const isoNow = (): string => {
    const ms = Date.now();
    if (ms !== lastMs) {
      lastIso = new Date(ms).toISOString();
      lastMs = ms;
    }
    return lastIso;
  };
  let pending: string[] = [];
  const flush = () => {
    const lines = pending;
    pending = [];
    out.write(lines.join(''));
  };
  const emit = (line: string) => {
    if (pending.length === 0) setImmediate(flush);
    pending.push(line);
  };
  const write = (level: string, message: string, fields: LogFields = {}) => {
    const time = isoNow();
    if (human) {
      const rest = Object.entries(fields)
        .filter(([, v]) => v !== undefined && v !== '')
        .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
        .join(' ');
      emit(`${time.slice(11, 23)} ${level.padEnd(5)} ${message}${rest ? ` ${rest}` : ''}\n`);
    } else if ('time' in fields || 'level' in fields || 'msg' in fields) {
      emit(`${JSON.stringify({ time, level, msg: message, ...fields })}\n`);
    } else {
      // The same line as stringifying { time, level, msg, ...fields }, without building that object for every request.
      const rest = JSON.stringify(fields);
      emit(`{"time":"${time}","level":${JSON.stringify(level)},"msg":${JSON.stringify(message)}${rest === '{}' ? '}' : `,${rest.slice(1)}`}\n`);
    }
  };
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
