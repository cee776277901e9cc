import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { S3_ERROR_CODES } from '../../src/errors.js';
import { canonicalHeaderValue } from '../../src/sigv4/canonical-headers.js';
import {
  AuthError,
  nodeCrypto,
  parseAuthorization,
  parseQuery,
  percentDecode,
  presign,
  signRequest,
  verifyRequest,
  type SignableRequest,
} from '../../src/sigv4/index.js';

/*
 * Seeded fuzzing of the parser and verifier. Two properties:
 *  1. whatever arrives, the only thing that escapes is an AuthError with a real S3 code;
 *  2. a mutated signed request verifies only when it means exactly what the
 *     original meant: same method, decoded path, decoded query pairs (as a
 *     multiset), canonical values of the signed headers, and auth fields.
 * "Means" is judged through the server's own decoders (percentDecode, parseQuery),
 * since those decide what the server acts upon.
 */

const SEED = 20240506;
const NOW = Date.parse('2024-05-06T07:08:09Z');
const REGION = 'us-east-1';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const KEYS: Record<string, string> = { AKIDEXAMPLE: SECRET, ASIAEXAMPLE: SECRET };
const HOST = '127.0.0.1:9000';
const parseOptions = { region: REGION };

function fromUrl(method: string, url: string, headers: Record<string, string>): SignableRequest {
  const rest = url.slice(url.indexOf('/', 'http://'.length));
  const q = rest.indexOf('?');
  return { method, path: q === -1 ? rest : rest.slice(0, q), query: q === -1 ? '' : rest.slice(q + 1), headers: { host: HOST, ...headers } };
}

const common = { region: REGION, now: NOW, crypto: nodeCrypto };
const PRESIGNED: SignableRequest[] = [
  fromUrl('GET', presign({ ...common, method: 'GET', url: `http://${HOST}/bkt/a%20b/caf%C3%A9+1.txt`, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET }, expiresIn: 3600 }).url, {}),
  fromUrl(
    'PUT',
    presign({
      ...common,
      method: 'PUT',
      url: `http://${HOST}/bkt/k?response-content-disposition=attachment%3B%20filename%3D%22x%20y%22&x-id=PutObject&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD`,
      credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: SECRET, sessionToken: 'tok/en+=' },
      headers: { 'content-type': 'text/plain', 'x-amz-meta-a': 'b  c' },
      expiresIn: 604800,
      queryOrder: 'canonical',
    }).url,
    { 'content-type': 'text/plain', 'x-amz-meta-a': 'b  c' },
  ),
];
const HEADER_SIGNED: SignableRequest[] = (
  [
  { path: '/bkt/', query: 'list-type=2&prefix=a%20b', extra: {} },
  { path: '/bkt/x%2By', query: '', extra: { 'x-amz-meta-k': 'v', range: 'bytes=0-1' } },
  ] as Array<{ path: string; query: string; extra: Record<string, string> }>
).map(({ path, query, extra }) => {
  const { headers } = signRequest({
    ...common,
    method: 'GET',
    url: `http://${HOST}${path}${query === '' ? '' : `?${query}`}`,
    credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: SECRET, sessionToken: 'tok' },
    headers: extra,
    payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  });
  return { method: 'GET', path, query, headers };
});

const lookupSecret = (id: string) => (KEYS[id] === undefined ? undefined : { secretAccessKey: SECRET });

function assertOnlyAuthError(e: unknown): void {
  if (!(e instanceof AuthError)) throw new Error(`escaped: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  assert.equal(S3_ERROR_CODES[e.code][0], e.status);
}

/** Text as the bytes it is stored as: a lone surrogate is U+FFFD once UTF-8 encoded. */
const utf8 = (text: string) => Buffer.from(text).toString();

/** What the server acts on, or undefined when it does not parse as SigV4. */
function meaning(request: SignableRequest): string | undefined {
  let auth;
  try {
    auth = parseAuthorization(request, parseOptions);
  } catch {
    return undefined;
  }
  if (auth.version !== 4) return undefined;
  const header = (name: string) => {
    const value = request.headers[name];
    if (value !== undefined) return canonicalHeaderValue(value);
    return auth.query.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v).join(',');
  };
  return JSON.stringify({
    method: request.method,
    path: utf8(percentDecode(request.path)),
    query: parseQuery(request.query).map((pair) => JSON.stringify(pair.map(utf8))).sort(),
    headers: auth.signedHeaders.map((name) => [name, utf8(header(name))]),
    auth: { ...auth, signature: auth.signature.toLowerCase(), query: undefined, signedAt: undefined },
  });
}

/** Characters that matter to a parser: delimiters, escapes, whitespace, odd Unicode. */
const TRICKY = ['&', '=', '%', '+', ' ', ',', ';', '/', '\t', '\n', '\r', '\0', '%00', '%2', '%zz', '%FF', '%C3', '%E2%82', '%2B', '%26', '%3D', 'é', 'e\u0301', '\uFFFD', '\uD800', '\uDC00', '😀', 'A', '0', 'Z', 'T'];
const charArb = fc.oneof(fc.constantFrom(...TRICKY), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }));

/** Plain data, so a counterexample prints readably; applied by applyMutation. */
type Mutation =
  | { readonly op: 'replace' | 'insert'; readonly r: number; readonly c: string }
  | { readonly op: 'delete'; readonly r: number; readonly n: number }
  | { readonly op: 'percent-encode' | 'upper-case'; readonly r: number }
  | { readonly op: 'number'; readonly n: string }
  | { readonly op: 'dup' | 'drop' | 'swap' | 'empty'; readonly k: number };

const ratio = fc.double({ min: 0, max: 0.999, noNaN: true });
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('replace' as const, 'insert' as const), r: ratio, c: charArb }),
  fc.record({ op: fc.constant('delete' as const), r: ratio, n: fc.integer({ min: 1, max: 4 }) }),
  // Percent-encoding one character is a no-op for most, a change of meaning for '&', '=', '+'.
  fc.record({ op: fc.constantFrom('percent-encode' as const, 'upper-case' as const), r: ratio }),
  fc.record({ op: fc.constant('number' as const), n: fc.constantFrom('9'.repeat(25), '1e400', '-1', '0x10', '00000000000000000000060', '') }),
  // Query-shaped edits: repeat, drop, reorder or empty one parameter.
  fc.record({ op: fc.constantFrom('dup' as const, 'drop' as const, 'swap' as const, 'empty' as const), k: fc.nat() }),
);

function applyMutation(t: string, m: Mutation): string {
  switch (m.op) {
    case 'replace':
    case 'insert':
    case 'delete':
    case 'percent-encode':
    case 'upper-case': {
      const i = Math.floor(m.r * t.length);
      const ch = t[i] ?? '';
      if (m.op === 'replace') return t.slice(0, i) + m.c + t.slice(i + 1);
      if (m.op === 'insert') return t.slice(0, i) + m.c + t.slice(i);
      if (m.op === 'delete') return t.slice(0, i) + t.slice(i + m.n);
      if (m.op === 'upper-case') return t.slice(0, i) + ch.toUpperCase() + t.slice(i + 1);
      return t.slice(0, i) + [...Buffer.from(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('') + t.slice(i + 1);
    }
    case 'number':
      return t.replace(/\d+/, m.n);
    default: {
      const items = t.split('&');
      const i = m.k % items.length;
      const item = items[i] ?? '';
      const j = (i + 1) % items.length;
      if (m.op === 'dup') items.splice(i, 0, item);
      if (m.op === 'drop') items.splice(i, 1);
      if (m.op === 'swap') [items[i], items[j]] = [items[j] ?? '', item];
      if (m.op === 'empty') items[i] = item.split('=')[0] ?? '';
      return items.join('&');
    }
  }
}

type Target = 'query' | 'path' | 'authorization' | 'x-amz-date' | 'host' | 'x-amz-content-sha256' | 'x-amz-security-token' | 'x-amz-meta-a' | 'content-type';

function mutate(request: SignableRequest, target: Target, mutations: readonly Mutation[]): SignableRequest {
  const apply = (text: string) => mutations.reduce(applyMutation, text);
  if (target === 'query') return { ...request, query: apply(request.query) };
  if (target === 'path') return { ...request, path: apply(request.path) };
  const value = request.headers[target];
  const text = typeof value === 'string' ? value : value?.join(',') ?? '';
  return { ...request, headers: { ...request.headers, [target]: apply(text) } };
}

const RUNS = { randomAuth: 20_000, randomQuery: 20_000, presigned: 35_000, header: 30_000 };

/** Both entry points: the parser alone, then the full check (parse, key lookup, verify). */
async function check(request: SignableRequest, original?: SignableRequest): Promise<boolean> {
  try {
    parseAuthorization(request, parseOptions);
  } catch (e) {
    assertOnlyAuthError(e);
  }
  let verified = false;
  try {
    verified = (await verifyRequest(request, { ...parseOptions, now: NOW, crypto: nodeCrypto, lookupSecret })).version !== 0;
  } catch (e) {
    assertOnlyAuthError(e);
  }
  if (verified && original !== undefined) {
    assert.equal(meaning(request), meaning(original), `a changed request verified:\n${JSON.stringify(request)}`);
  }
  return verified;
}

describe(`SigV4 parser and verifier under fuzzing (seed ${SEED})`, () => {
  it('the seeds themselves verify', async () => {
    for (const r of [...PRESIGNED, ...HEADER_SIGNED]) assert.equal(await check(r), true, JSON.stringify(r));
  });

  it(`random Authorization headers (${RUNS.randomAuth} runs)`, async () => {
    const field = fc.string({ maxLength: 80, unit: charArb });
    const structured = fc
      .tuple(fc.constantFrom('AWS4-HMAC-SHA256 ', 'AWS ', 'AWS4-HMAC-SHA256', ''), fc.array(fc.tuple(fc.constantFrom('Credential', 'SignedHeaders', 'Signature', 'X', ''), field), { maxLength: 5 }), fc.constantFrom(', ', ',', ' , '))
      .map(([scheme, fields, sep]) => scheme + fields.map(([k, v]) => `${k}=${v}`).join(sep));
    const headers = fc.record({ 'x-amz-date': fc.constantFrom('20240506T070809Z', '', 'x', '20240506T999999Z'), 'x-amz-content-sha256': fc.constantFrom('UNSIGNED-PAYLOAD', 'zz', '') }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(fc.oneof(structured, fc.string({ maxLength: 200, unit: 'binary' })), headers, async (authorization, extra) => {
        await check({ method: 'GET', path: '/bkt/k', query: '', headers: { host: HOST, authorization, ...extra } });
      }),
      { seed: SEED, numRuns: RUNS.randomAuth },
    );
  });

  it(`random query strings (${RUNS.randomQuery} runs)`, async () => {
    const name = fc.constantFrom('X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token', 'X-Amz-Content-Sha256', 'Signature', 'AWSAccessKeyId', 'Expires', 'x-id', 'X-Amz-Algorithm%00');
    const value = fc.oneof(
      fc.constantFrom('AWS4-HMAC-SHA256', `AKIDEXAMPLE/20240506/${REGION}/s3/aws4_request`, 'AKIDEXAMPLE%2F20240506%2Fus-east-1%2Fs3%2Faws4_request', '20240506T070809Z', '3600', 'host', 'host%3Bx-amz-date', '0'.repeat(64)),
      fc.string({ maxLength: 40, unit: charArb }),
    );
    const pair = fc.tuple(name, fc.constantFrom('=', '', '=='), value).map(([n, eq, v]) => `${n}${eq}${v}`);
    await fc.assert(
      fc.asyncProperty(fc.array(pair, { maxLength: 9 }), async (items) => {
        await check({ method: 'GET', path: '/bkt/k', query: items.join('&'), headers: { host: HOST } });
      }),
      { seed: SEED + 1, numRuns: RUNS.randomQuery },
    );
  });

  const mutated = (bases: SignableRequest[], targets: Target[], runs: number, seed: number) => async () => {
    let verifiedCount = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(bases.length - 1), fc.constantFrom(...targets), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), async (b, target, mutations) => {
        const original = bases[b] as SignableRequest;
        if (await check(mutate(original, target, mutations), original)) verifiedCount++;
      }),
      { seed, numRuns: runs },
    );
    // Some mutations are no-ops or harmless re-encodings; they must verify, or the check above proves nothing.
    assert.ok(verifiedCount > runs / 200, `only ${verifiedCount} harmless mutations verified`);
    assert.ok(verifiedCount < runs / 2, `${verifiedCount} mutations verified: far too many`);
  };

  it(`mutated pre-signed URLs (${RUNS.presigned} runs)`, mutated(PRESIGNED, ['query', 'query', 'query', 'path', 'host', 'content-type', 'x-amz-meta-a'], RUNS.presigned, SEED + 2));
  it(`mutated header-signed requests (${RUNS.header} runs)`, mutated(HEADER_SIGNED, ['authorization', 'authorization', 'query', 'path', 'x-amz-date', 'host', 'x-amz-content-sha256', 'x-amz-security-token', 'x-amz-meta-a'], RUNS.header, SEED + 3));
});
