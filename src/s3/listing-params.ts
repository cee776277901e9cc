import { S3Error } from '../errors.js';
import { uriEncode } from '../sigv4/uri-encode.js';
import type { RequestContext } from './context.js';
import { decodeToken } from './continuation-token.js';

/*
 * The paging and filtering options of S3's listings (objects, versions,
 * multipart uploads and parts, buckets), read from the query and refused with
 * S3's own InvalidArgument when malformed. Operations declare the ones they
 * take (operation-params.ts gathers the parsers).
 */

const MAX_KEYS = 1000;
const MAX_PARTS = 1000;
const MAX_UPLOADS = 1000;
/** S3's page size when a ListBuckets names any paging parameter, and the largest max-buckets it takes. */
const MAX_BUCKETS = 10_000;

/** `encoding-type`: how listed names and prefixes are written. */
export interface ListingEncoding {
  readonly type: 'url' | undefined;
  readonly encode: (text: string) => string;
}

const AS_IS: ListingEncoding = { type: undefined, encode: (text) => text };
// S3's url encoding of listing values keeps '/' readable.
const URL_ENCODED: ListingEncoding = { type: 'url', encode: (text) => uriEncode(text, true) };

export function encodingParam(ctx: RequestContext): ListingEncoding {
  const encodingType = ctx.query.get('encoding-type');
  if (encodingType === undefined) return AS_IS;
  if (encodingType !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
  return URL_ENCODED;
}

/** A listing's CommonPrefixes, written in its encoding. */
export function prefixes(page: { readonly commonPrefixes: readonly string[] }, { encode }: ListingEncoding) {
  return page.commonPrefixes.map((p) => ({ Prefix: encode(p) }));
}

/** A non-negative integer query parameter, capped; InvalidArgument otherwise, as S3 answers. */
function countParam(ctx: RequestContext, name: string, fallback: number, cap: number): number {
  const text = ctx.query.get(name);
  if (text === undefined) return fallback;
  if (!/^\d{1,10}$/.test(text)) throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: text });
  return Math.min(Number(text), cap);
}

export const maxKeysParam = (ctx: RequestContext): number => countParam(ctx, 'max-keys', MAX_KEYS, MAX_KEYS);
export const maxUploadsParam = (ctx: RequestContext): number => countParam(ctx, 'max-uploads', MAX_UPLOADS, MAX_UPLOADS);
export const maxPartsParam = (ctx: RequestContext): number => countParam(ctx, 'max-parts', MAX_PARTS, MAX_PARTS);
export const partNumberMarkerParam = (ctx: RequestContext): number => countParam(ctx, 'part-number-marker', 0, Number.MAX_SAFE_INTEGER);

export function maxBucketsParam(ctx: RequestContext): number {
  const text = ctx.query.get('max-buckets');
  if (text === undefined) return MAX_BUCKETS;
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_BUCKETS)) {
    throw new S3Error('InvalidArgument', `max-buckets must be an integer between 1 and ${MAX_BUCKETS}`, { ArgumentName: 'max-buckets', ArgumentValue: text });
  }
  return n;
}

/** A continuation token as sent (echoed back) and the name it continues after. */
export interface ContinuationToken {
  readonly token: string;
  readonly after: string;
}

export function continuationTokenParam(ctx: RequestContext): ContinuationToken | undefined {
  // An empty token is what a client sends before it has one (S3 treats it as none).
  const token = ctx.query.get('continuation-token') || undefined;
  return token === undefined ? undefined : { token, after: decodeToken(token) };
}

/** What S3 ignores without a key marker: an upload-id marker. */
export function uploadIdMarkerParam(ctx: RequestContext): string {
  return (ctx.query.get('key-marker') ?? '') === '' ? '' : (ctx.query.get('upload-id-marker') ?? '');
}
