import { createHash, createHmac } from 'node:crypto';
import type { SignableRequest } from '../../src/sigv4/index.js';

/*
 * A deliberately small, independent SigV4 query signer (node:crypto only, none
 * of src/sigv4) for tests that need a valid signature over parameter text our
 * own presign would never write: X-Amz-Expires=0060, a scope that names another
 * region, a duplicated parameter. The URL's path must already be in canonical
 * form (S3: encoded once, no normalisation).
 */

const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

export interface ReferenceSignInput {
  readonly method: string;
  readonly path: string;
  /** Every parameter but X-Amz-Signature, decoded, in the order to send. */
  readonly params: ReadonlyArray<readonly [string, string]>;
  readonly headers: Readonly<Record<string, string>>;
  readonly secretAccessKey: string;
  /** The scope and time to sign with; by default read from X-Amz-Credential and X-Amz-Date. */
  readonly scope?: string;
  readonly amzDate?: string;
  readonly payloadHash?: string;
}

export function referenceSign(input: ReferenceSignInput): SignableRequest {
  const param = (name: string) => input.params.find(([n]) => n === name)?.[1] ?? '';
  const scope = input.scope ?? param('X-Amz-Credential').split('/').slice(1).join('/');
  const amzDate = input.amzDate ?? param('X-Amz-Date');
  const signed = param('X-Amz-SignedHeaders').split(';');
  const query = input.params
    .map(([n, v]) => [enc(n), enc(v)] as const)
    .sort(([an, av], [bn, bv]) => (an === bn ? (av < bv ? -1 : av > bv ? 1 : 0) : an < bn ? -1 : 1))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
  const canonical = [
    input.method,
    input.path,
    query,
    signed.map((h) => `${h}:${(input.headers[h] ?? '').trim()}\n`).join(''),
    signed.join(';'),
    input.payloadHash ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const [date = '', region = '', service = '', terminator = ''] = scope.split('/');
  const key = [date, region, service, terminator].reduce<Buffer>((k, part) => hmac(k, part), Buffer.from(`AWS4${input.secretAccessKey}`));
  const signature = hmac(key, toSign).toString('hex');
  const raw = [...input.params.map(([n, v]) => `${enc(n)}=${enc(v)}`), `X-Amz-Signature=${signature}`].join('&');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers)) headers[name.toLowerCase()] = value;
  return { method: input.method, path: input.path, query: raw, headers };
}
