import { LRUCache } from 'lru-cache';
import type { HeaderValues } from '../sigv4/canonical-headers.js';
import { AuthError } from '../sigv4/errors.js';
import type { V4Auth } from '../sigv4/parse.js';
import type { SignableRequest } from '../sigv4/types.js';
import { checkQueryWindow, type QueryWindow, type VerifiedV4 } from '../sigv4/verify.js';

/** What, besides the request, decides a verification's outcome: the parse and verify options. */
export interface VerifiedCacheScope {
  readonly region: string;
  readonly service?: string;
  readonly requireContentSha256?: boolean;
  readonly payloadHash?: string;
  readonly normalizePath?: boolean;
}

/** A remembered success, found for a request; `revalidate` decides whether it still holds. */
export interface CachedVerification {
  readonly accessKeyId: string;
}

/**
 * What the full check found: a valid signature (`verified`), a valid
 * signature outside its time window then (`outside-window`: the window is
 * checked again on each use), or a signature that does not match (`mismatch`:
 * the same bytes under the same secret never will).
 */
type Verdict =
  | { readonly kind: 'valid'; readonly verified: VerifiedV4 }
  | { readonly kind: 'outside-window' }
  | { readonly kind: 'mismatch'; readonly error: AuthError };

interface Entry extends CachedVerification {
  readonly key: string;
  readonly verdict: Verdict;
  readonly window: QueryWindow;
  readonly signedHeaders: readonly string[];
  /** The signed headers' values as received, in SignedHeaders order. */
  readonly signedValues: readonly HeaderValues[];
  /** Unsigned x-amz-* headers as received (name, value, name, value…): parsing looked at them. */
  readonly otherAmzHeaders: readonly HeaderValues[];
  /**
   * The secret the signature was checked with. Kept as is rather than hashed:
   * hashing it on every hit was ~4% of a GET, and the process holding this
   * cache also holds the master key that opens every stored secret.
   */
  readonly secretAccessKey: string;
}

/** Longer requests are verified every time rather than held: a bound on the memory one entry takes. */
const MAX_KEY_LENGTH = 4096;
/**
 * Refusals remembered, apart from successes: a refusal entry holds the
 * canonical request for the error body, and anyone can make new ones, so
 * fewer are kept. A link tampered with and retried is refused as cheaply as
 * the link is served; a flood of distinct forgeries costs a full check each,
 * as a flood of distinct valid links does.
 */
const REFUSALS_CAPACITY = 1000;

/**
 * Successful verifications of pre-signed (query-signed SigV4) requests,
 * remembered so that a link fetched again and again is not re-canonicalized
 * and re-HMACed each time. It holds secrets and lives as long as the server,
 * so it is the S3 front's state, not the SigV4 library's (which keeps none);
 * it reads the same inputs the library's parse and verify read, and takes
 * no clock of its own (`now` is passed in on each call).
 *
 * An entry is found only for a request identical in everything parsing and
 * verification read: method, wire path, raw query, every signed header's
 * values, the unsigned x-amz-* headers, no Authorization header, and the same
 * options. What can change between two identical requests is re-checked on
 * every hit by `revalidate`: the key's current secret (a rotated, deleted or
 * disabled key is the caller's lookup to report) and the time window.
 * Header-signed requests are not remembered: they carry a fresh date and
 * signature each time, so they would never hit.
 */
export class VerifiedRequestCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly refusals = new LRUCache<string, Entry>({ max: REFUSALS_CAPACITY });

  constructor(capacity = 10_000) {
    this.entries = new LRUCache({ max: capacity });
  }

  /** The remembered verification of exactly this request, still to be revalidated. */
  find(request: SignableRequest, scope: VerifiedCacheScope): CachedVerification | undefined {
    if (request.headers['authorization'] !== undefined) return undefined;
    const key = cacheKey(request, scope);
    if (key === undefined) return undefined;
    const map = this.entries.has(key) ? this.entries : this.refusals;
    const entry = map.peek(key);
    if (entry === undefined || !sameHeaders(entry, request.headers)) return undefined;
    // Only a real match counts as a use for eviction.
    map.get(key);
    return entry;
  }

  /**
   * The remembered outcome if the key's secret is still the one it was
   * checked with (undefined otherwise: verify from scratch). Throws what
   * verifyV4 would: SignatureDoesNotMatch for a remembered mismatch, the
   * AccessDenied of the time window when `now` is outside it.
   */
  revalidate(hit: CachedVerification, secretAccessKey: string, now: number): VerifiedV4 | undefined {
    const entry = hit as Entry;
    const { verdict } = entry;
    // Both secrets are the server's own (the store's, and the one verified with), never a request's bytes: nothing for a
    // timing attack to learn, so a plain comparison (sameSecret's two buffers per hit were 1.5% of a GET's CPU).
    if (secretAccessKey !== entry.secretAccessKey) {
      this.forget(entry);
      return undefined;
    }
    // The error itself, not a copy: it is never modified, and building an Error (its stack) was an eighth of a refusal.
    if (verdict.kind === 'mismatch') throw verdict.error;
    try {
      checkQueryWindow(entry.window, now);
    } catch (error) {
      // An expired link stays expired: remembered, so the next refusal is as cheap as this one.
      if (verdict.kind === 'valid') this.store(this.refusals, { ...entry, verdict: { kind: 'outside-window' } }, this.entries);
      throw error;
    }
    if (verdict.kind === 'outside-window') {
      // Not yet valid then, valid now: the full check makes the success entry.
      this.forget(entry);
      return undefined;
    }
    return verdict.verified;
  }

  /** After a full verification of `request` succeeded; anything but a query-signed SigV4 request is ignored. */
  remember(request: SignableRequest, scope: VerifiedCacheScope, auth: V4Auth, verified: VerifiedV4, secretAccessKey: string): void {
    const entry = this.entryFor(request, scope, auth, secretAccessKey, { kind: 'valid', verified });
    if (entry !== undefined) this.store(this.entries, entry, this.refusals);
  }

  /**
   * After a full verification of `request` failed with `error` under this
   * secret. Only verdicts that the same bytes and secret would give again are
   * kept: a signature mismatch, and a valid signature outside its window
   * (whose window is checked again on each use).
   */
  rememberRefusal(request: SignableRequest, scope: VerifiedCacheScope, auth: V4Auth, error: unknown, secretAccessKey: string): void {
    if (!(error instanceof AuthError)) return;
    const verdict: Verdict | undefined =
      error.defect === 'signature-mismatch' ? { kind: 'mismatch', error }
      : error.defect === 'expired' || error.defect === 'not-yet-valid' ? { kind: 'outside-window' }
      : undefined;
    if (verdict === undefined) return;
    const entry = this.entryFor(request, scope, auth, secretAccessKey, verdict);
    if (entry !== undefined) this.store(this.refusals, entry, this.entries);
  }

  forget(hit: CachedVerification): void {
    const entry = hit as Entry;
    if (this.entries.peek(entry.key) === entry) this.entries.delete(entry.key);
    if (this.refusals.peek(entry.key) === entry) this.refusals.delete(entry.key);
  }

  /** Successes remembered (refusals are counted apart). */
  get size(): number {
    return this.entries.size;
  }

  get refusalCount(): number {
    return this.refusals.size;
  }

  private entryFor(request: SignableRequest, scope: VerifiedCacheScope, auth: V4Auth, secretAccessKey: string, verdict: Verdict): Entry | undefined {
    if (auth.mode !== 'query' || request.headers['authorization'] !== undefined) return undefined;
    const key = cacheKey(request, scope);
    if (key === undefined) return undefined;
    const signedHeaders = [...auth.signedHeaders];
    return {
      key,
      verdict,
      accessKeyId: auth.accessKeyId,
      window: { amzDate: auth.amzDate, signedAt: auth.signedAt, ...(auth.expiresSeconds === undefined ? {} : { expiresSeconds: auth.expiresSeconds }) },
      signedHeaders,
      signedValues: signedHeaders.map((name) => copy(request.headers[name])),
      otherAmzHeaders: otherAmzHeaders(request.headers, signedHeaders).map(copy),
      secretAccessKey,
    };
  }

  /** Into `map` as its most recent entry (which drops its least recent past its capacity), and out of `other`. */
  private store(map: LRUCache<string, Entry>, entry: Entry, other: LRUCache<string, Entry>): void {
    other.delete(entry.key);
    map.set(entry.key, entry);
  }
}

function cacheKey(request: SignableRequest, scope: VerifiedCacheScope): string | undefined {
  if (request.path.length + request.query.length > MAX_KEY_LENGTH) return undefined;
  // No part can hold a newline (the HTTP parser refuses them in the request line), so the joined key is unambiguous.
  return [
    scope.region,
    scope.service ?? 's3',
    scope.requireContentSha256 ?? true ? '1' : '0',
    scope.payloadHash ?? '',
    scope.normalizePath ? '1' : '0',
    request.method,
    request.path,
    request.query,
  ].join('\n');
}

type Headers = SignableRequest['headers'];

function otherAmzHeaders(headers: Headers, signedHeaders: readonly string[]): HeaderValues[] {
  const found: HeaderValues[] = [];
  for (const name in headers) {
    if (name.startsWith('x-amz-') && !signedHeaders.includes(name) && headers[name] !== undefined) found.push(name, headers[name]);
  }
  return found;
}

function sameHeaders(entry: Entry, headers: Headers): boolean {
  const { signedHeaders, signedValues } = entry;
  for (let i = 0; i < signedHeaders.length; i++) if (!sameValue(signedValues[i], headers[signedHeaders[i] ?? ''])) return false;
  const other = otherAmzHeaders(headers, signedHeaders);
  if (other.length !== entry.otherAmzHeaders.length) return false;
  return other.every((value, i) => sameValue(value, entry.otherAmzHeaders[i]));
}

/** A header sent once may arrive as 'v' or ['v']: the same input to signing. Anything else must match exactly. */
function sameValue(a: HeaderValues, b: HeaderValues): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const x = typeof a === 'string' ? [a] : a;
  const y = typeof b === 'string' ? [b] : b;
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function copy(value: HeaderValues): HeaderValues {
  return value === undefined || typeof value === 'string' ? value : [...value];
}
