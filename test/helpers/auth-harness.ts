import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LRUCache } from 'lru-cache';
import { S3Error } from '../../src/errors.js';
import { hashToken, type Principal, type ResolvedKey } from '../../src/identity/identities.js';
import type { AuthDeps } from '../../src/s3/auth.js';
import { RequestContext } from '../../src/s3/context.js';
import { VerifiedRequestCache } from '../../src/s3/verified-cache.js';
import { AuthError, nodeCrypto, presign, SigningKeyCache, type CryptoProvider } from '../../src/sigv4/index.js';
import { splitUrl } from '../../src/sigv4/split-url.js';

/*
 * authenticate() in-process (test/s3/auth-*.test.ts): a real signer, a real
 * key cache, and a clock and key table the test controls.
 */

export const NOW = Date.parse('2024-05-06T07:08:09Z');
export const HOST = '127.0.0.1:9000';
export const REGION = 'us-east-1';
export const LONG_KEY = 'AKLONGTERMKEY0000001';
export const LONG_SECRET = 'long-term-secret-000000000000000000000000';
export const SESSION_KEY = 'LKTSSESSIONKEY000001';
export const SESSION_SECRET = 'session-secret-0000000000000000000000000';
export const TOKEN = 'the-session-token';

export const alice: Principal = { kind: 'user', name: 'alice', accessKeyId: LONG_KEY };

export const LONG = { accessKeyId: LONG_KEY, secretAccessKey: LONG_SECRET };
export const SESSION = { accessKeyId: SESSION_KEY, secretAccessKey: SESSION_SECRET, sessionToken: TOKEN };
export type Credentials = typeof LONG | typeof SESSION;

export interface AuthHarness {
  readonly deps: AuthDeps;
  readonly cache: VerifiedRequestCache;
  /** Access key ids looked up so far, in order. */
  readonly lookups: string[];
  /** HMAC computations so far: a remembered link needs none. */
  readonly hmacs: () => number;
  clock: number;
  /** alice's long-term key (LONG_KEY) and bob's session (SESSION_KEY), ending an hour after NOW. */
  keys: Map<string, ResolvedKey>;
}

export function authHarness(options: { sigv2?: boolean; cache?: false } = {}): AuthHarness {
  let hmacs = 0;
  const crypto: CryptoProvider = {
    ...nodeCrypto,
    hmacSha256: (key, data) => {
      hmacs++;
      return nodeCrypto.hmacSha256(key, data);
    },
  };
  const cache = new VerifiedRequestCache();
  const lookups: string[] = [];
  const state: AuthHarness = {
    clock: NOW,
    cache,
    lookups,
    hmacs: () => hmacs,
    keys: new Map([
      [LONG_KEY, { secretAccessKey: LONG_SECRET, principal: alice }],
      [SESSION_KEY, sessionKey(NOW + 3600_000)],
    ]),
    deps: {
      region: REGION,
      crypto,
      keyCache: new SigningKeyCache(crypto, new LRUCache<string, Uint8Array>({ max: 64 })),
      lookupKey: (id) => {
        lookups.push(id);
        return Promise.resolve(state.keys.get(id));
      },
      now: () => state.clock,
      ...(options.sigv2 === undefined ? {} : { sigv2: options.sigv2 }),
      verifiedCache: options.cache === false ? false : cache,
    },
  };
  return state;
}

/** bob's temporary credentials (SESSION_KEY), ending at `expiresAt` (never, when undefined). */
export function sessionKey(expiresAt: number | undefined, secretAccessKey = SESSION_SECRET): ResolvedKey {
  return {
    secretAccessKey,
    principal: {
      kind: 'user',
      name: 'bob',
      accessKeyId: SESSION_KEY,
      session: { ...(expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt) }), policy: null } as NonNullable<Principal['session']>,
    },
    tokenHash: hashToken(TOKEN),
  };
}

export interface LinkOptions {
  readonly credentials?: Credentials;
  readonly method?: string;
  readonly expiresIn?: number;
  readonly payloadHash?: string;
  readonly service?: string;
  readonly url?: string;
}

/** A pre-signed URL, signed at NOW (by alice's long-term key unless told), for 600 s unless told. */
export function link(options: LinkOptions = {}): string {
  return presign({
    method: options.method ?? 'GET',
    url: options.url ?? `http://${HOST}/bkt/key.txt`,
    credentials: options.credentials ?? LONG,
    region: REGION,
    now: NOW,
    expiresIn: options.expiresIn ?? 600,
    crypto: nodeCrypto,
    ...(options.payloadHash === undefined ? {} : { payloadHash: options.payloadHash }),
    ...(options.service === undefined ? {} : { service: options.service }),
  }).url;
}

/** A request context as the handler builds it (its Host header is the URL's unless given). */
export function context(url: string, headers: Record<string, string> = {}, method = 'GET'): RequestContext {
  const parts = splitUrl(url);
  const all = { host: parts.host, ...headers };
  const req = {
    method,
    url: parts.query === '' ? parts.path : `${parts.path}?${parts.query}`,
    headers: all,
    rawHeaders: Object.entries(all).flat(),
    headersDistinct: Object.fromEntries(Object.entries(all).map(([name, value]) => [name, [value]])),
  };
  return new RequestContext(req as unknown as IncomingMessage, {} as ServerResponse);
}

/** A refusal S3 answers: an S3Error, or the SigV4 library's own AuthError (which the S3 edge renders as one). */
export async function refusal(promise: Promise<unknown>): Promise<S3Error | AuthError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof S3Error || error instanceof AuthError, String(error));
    return error;
  }
  assert.fail('the request was accepted');
}
