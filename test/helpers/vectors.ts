import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const VECTORS_DIR = fileURLToPath(new URL('../vectors/sigv4/v4/', import.meta.url));

export interface VectorContext {
  credentials: { access_key_id: string; secret_access_key: string; token?: string };
  expiration_in_seconds: number;
  normalize: boolean;
  region: string;
  service: string;
  sign_body: boolean;
  timestamp: string;
  omit_session_token?: boolean;
}

export interface RawRequest {
  method: string;
  /** Path and query as written in the file (may hold raw spaces and UTF-8). */
  target: string;
  path: string;
  query: string;
  /** Lower-case names, values in order; obs-fold lines joined with a space. */
  headers: Record<string, string[]>;
  body: string;
}

export interface Vector {
  name: string;
  context: VectorContext;
  request: RawRequest;
  read(file: string): string;
}

export function loadVectors(): Vector[] {
  return readdirSync(VECTORS_DIR)
    .sort()
    .map((name) => {
      const read = (file: string) => readFileSync(join(VECTORS_DIR, name, file), 'utf8');
      return { name, context: JSON.parse(read('context.json')) as VectorContext, request: parseRawRequest(read('request.txt')), read };
    });
}

/** Parses the suite's HTTP/1.1 text files, including obsolete line folding. */
export function parseRawRequest(text: string): RawRequest {
  const lines = text.split('\n');
  const first = lines.shift() ?? '';
  const method = first.slice(0, first.indexOf(' '));
  const target = first.slice(method.length + 1, first.lastIndexOf(' HTTP/'));
  const headers: Record<string, string[]> = {};
  let last: string[] | undefined;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') break;
    if (/^\s/.test(line) && last) {
      last[last.length - 1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1));
    last = headers[name];
  }
  const q = target.indexOf('?');
  return {
    method,
    target,
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? '' : target.slice(q + 1),
    headers,
    body: lines.slice(i + 1).join('\n'),
  };
}
