import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonErrorBody, type ApiError, type ErrorFlavour } from '../s3/error-response.js';

/** A refusal the console's JSON API answers with: status, a stable code, and a message a person can read. */
export class ConsoleError extends Error implements ApiError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const MAX_JSON_BODY = 16 * 1024;

/** The console's JSON headers: never cached, since every answer is about one signed-in person. */
function jsonHeaders(text: string, headers: Readonly<Record<string, string>>): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store', ...headers };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, jsonHeaders(text, headers));
  res.end(text);
}

const INTERNAL_ERROR = new ConsoleError(500, 'InternalError', 'The console hit an internal error. Please try again.');

/** The console's JSON error ({"error": {"code", "message"}}, as the admin API's), with the headers its refusal carries. */
export const CONSOLE_ERRORS: ErrorFlavour<[]> = {
  isOwn: (error) => error instanceof ConsoleError,
  render(error) {
    const { status, code, message, headers } = error instanceof ConsoleError ? error : INTERNAL_ERROR;
    const body = `${JSON.stringify(jsonErrorBody({ code, message }))}\n`;
    return { status, headers: jsonHeaders(body, headers), body };
  },
};

/** A small JSON body; anything else is refused before it is read whole. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
    throw new ConsoleError(415, 'UnsupportedMediaType', 'Send the request as application/json.');
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BODY) throw new ConsoleError(413, 'RequestTooLarge', 'The request body is too large.');
    parts.push(chunk as Buffer);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new ConsoleError(400, 'InvalidInput', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConsoleError(400, 'InvalidInput', 'The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return cookies;
}

/**
 * True when a browser's Origin header names this very console (scheme-agnostic
 * host match). A missing Origin is allowed: non-browser clients send none, and
 * browsers always send it on the cross-site POSTs this guards against.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function stringField(body: Record<string, unknown>, name: string, required = true): string | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') {
    if (required) throw new ConsoleError(400, 'InvalidInput', `${name} is required.`);
    return undefined;
  }
  if (typeof value !== 'string') throw new ConsoleError(400, 'InvalidInput', `${name} must be a string.`);
  return value;
}
