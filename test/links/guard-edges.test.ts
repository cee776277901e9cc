import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { S3Error } from '../../src/errors.js';
import { admitLink, LINK_REFUSED, type LinkAdmission, type LinkRequest, type LinkTarget } from '../../src/links/link-guard.js';
import { LinkMemo } from '../../src/links/link-memo.js';
import { parseQuery } from '../../src/sigv4/canonical-query.js';
import type { LinkAuditRecord, LinkStore } from '../../src/storage/link-store.js';
import { SqliteMetadataStore } from '../../src/storage/sqlite/sqlite-metadata-store.js';
import { startGuardBench, type GuardBench } from '../helpers/guard-bench.js';

/*
 * The link guard in-process, against the real SQLite link store and audit
 * log: every refusal (its S3 error and that no use was taken), what passes
 * untouched, when a use counts or is given back, and each field of the audit
 * record. The request the guard reads is built from the real HTTP request, so
 * each test can say where it came from, what it asked for and what was sent.
 */

const CREDENTIALS = { accessKeyId: 'AKIDGUARDEDGES', secretAccessKey: 'guard/edges+secret' };
/** The guard's clock, apart from the wall clock the signatures are checked against. */
const GUARD_NOW = Date.UTC(2030, 0, 1, 12);

let bench: GuardBench;
let dir: string;
let metadata: GuardBench['metadata'];
let audit: GuardBench['audit'];
let endpoint: string;
let v4Link: GuardBench['v4Link'];
let v2Link: GuardBench['v2Link'];
const warnings: string[] = [];
const open = new Set<ServerResponse>();
const memo = new LinkMemo();

interface Outcome {
  readonly error: unknown;
  readonly admission: LinkAdmission | undefined;
  /** Whether `open` held the response while it was being answered. */
  readonly wasOpen: boolean;
}

interface Scenario {
  /** Overrides of what the guard reads of the request. */
  readonly request?: Partial<Omit<GuardedRequest, 'res' | 'header' | 'rawQuery'>> & { readonly userAgent?: string | null };
  /** Whether the guard gets the server's memo of link ids and controls (the default) or works them out afresh. */
  readonly memo?: boolean;
  /** The link store the guard uses (the default: the test's one). */
  readonly store?: LinkStore;
  /** Answers once admitted (the default: take a use, then 200 'body'). */
  readonly answer?: (res: ServerResponse, admission: LinkAdmission) => Promise<void>;
}

/** The request as it arrived, what the earlier stages found (operation, address) and who signed it. */
type GuardedRequest = LinkRequest & LinkTarget & { readonly principal: { readonly name: string } | undefined };

let scenario: Scenario = {};
let outcomes: Array<Promise<Outcome>> = [];

function linkRequest(req: IncomingMessage, res: ServerResponse, overrides: Scenario['request'] = {}): GuardedRequest {
  const url = new URL(req.url ?? '/', endpoint);
  const queryPairs = parseQuery(url.search.slice(1));
  const query = new Map<string, string>();
  for (const [name, value] of queryPairs) if (!query.has(name)) query.set(name, value);
  const { userAgent, ...rest } = overrides;
  return {
    method: req.method ?? 'GET',
    rawQuery: url.search.slice(1),
    bucket: 'bucket',
    key: 'key.txt',
    operation: 'GetObject',
    principal: { name: 'alice' },
    clientIp: req.socket.remoteAddress ?? '',
    query,
    queryPairs,
    res,
    bytesIn: 0,
    bytesOut: 4,
    header: (name) => (userAgent === undefined ? (req.headers[name] as string | undefined) : name === 'user-agent' ? (userAgent ?? undefined) : undefined),
    ...rest,
  };
}

before(async () => {
  bench = await startGuardBench(CREDENTIALS, { warn: (message) => warnings.push(message), intervalMs: 60_000 }, (req, res) => {
    const current = scenario;
    const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
    outcomes.push(
      (async (): Promise<Outcome> => {
        let admission: LinkAdmission | undefined;
        let wasOpen = false;
        try {
          const auth = await bench.verify(req);
          const { operation, bucket, key, principal, ...request } = linkRequest(req, res, current.request);
          admission = await admitLink(request, { verified: auth, principal }, { operation, bucket, key }, {
            store: current.store ?? metadata.links, audit, now: () => GUARD_NOW, open, warn: (message) => warnings.push(message), ...(current.memo === false ? {} : { memo }),
          });
          wasOpen = open.has(res);
          await (current.answer ?? defaultAnswer)(res, admission);
          await closed;
          return { error: undefined, admission, wasOpen };
        } catch (error) {
          if (!res.headersSent) res.writeHead(error instanceof S3Error ? error.status : 500).end();
          await closed;
          return { error, admission, wasOpen };
        }
      })(),
    );
  });
  ({ dir, metadata, audit, endpoint, v4Link, v2Link } = bench);
});
after(async () => {
  await bench?.close();
});

async function defaultAnswer(res: ServerResponse, admission: LinkAdmission): Promise<void> {
  await admission.reserveUse();
  res.end('body');
}

/** Fetches the URL under `with_`, and waits until the handler saw the response close (which is when the guard records). */
async function use(url: string, with_: Scenario = {}, init?: RequestInit): Promise<{ status: number; outcome: Outcome }> {
  scenario = with_;
  outcomes = [];
  const response = await fetch(url, init);
  await response.arrayBuffer();
  const [outcome] = await Promise.all(outcomes);
  assert.ok(outcome);
  return { status: response.status, outcome };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition());
}

async function records(id: string): Promise<LinkAuditRecord[]> {
  await audit.flush();
  return (await metadata.links.queryAudit({ link: id, limit: 100 })).records;
}

async function counted(id: string): Promise<{ uses: number; maxUses: number } | null> {
  return (await metadata.links.linkUsage(id)).counted;
}

function refusedWith(outcome: Outcome, code: string, status: number, message: string | RegExp, details?: Record<string, string>): void {
  const error = outcome.error;
  assert.ok(error instanceof S3Error, String(error));
  assert.equal(error.code, code);
  assert.equal(error.status, status);
  if (typeof message === 'string') assert.equal(error.message, message);
  else assert.match(error.message, message);
  if (details !== undefined) assert.deepEqual({ ...error.details }, details);
}

describe('requests that are not links pass untouched', () => {
  it('an anonymous request: no controls, no audit, not held open', async () => {
    await audit.flush();
    const before = (await metadata.links.queryAudit({ limit: 10_000 })).records.length;
    const { status, outcome } = await use(`${endpoint}/bucket/key.txt?X-Latchkey-Max-Uses=1`);
    assert.equal(status, 200);
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.wasOpen, false);
    await audit.flush();
    assert.equal((await metadata.links.queryAudit({ limit: 10_000 })).records.length, before);
  });

  it('a link without a principal: no controls, no audit', async () => {
    const { url, id } = v4Link('?X-Latchkey-Max-Uses=1');
    for (let i = 0; i < 2; i++) assert.equal((await use(url, { request: { principal: undefined } })).status, 200);
    assert.equal(await counted(id), null);
    assert.deepEqual(await records(id), []);
  });

  it('a link without controls: reserveUse takes nothing, and the link is held open until it closes', async () => {
    const { url, id } = v4Link();
    const { status, outcome } = await use(url);
    assert.equal(status, 200);
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.wasOpen, true);
    assert.equal(open.size, 0);
    assert.equal(await counted(id), null);
    assert.equal((await records(id)).length, 1);
  });
});

describe('refusals', () => {
  it('a SigV2 link with controls: InvalidArgument, audited, no use taken', async () => {
    const { url, id } = v2Link('?X-Latchkey-Max-Uses=1');
    const { status, outcome } = await use(url);
    assert.equal(status, 400);
    refusedWith(outcome, 'InvalidArgument', 400, 'X-Latchkey-* link controls need a SigV4 pre-signed URL: SigV2 does not sign them', { ArgumentName: 'Signature', ArgumentValue: 'SigV2' });
    assert.equal(await counted(id), null);
    const [record] = await records(id);
    assert.equal(record?.status, 400);
  });

  it('a SigV2 link without controls passes', async () => {
    const { url, id } = v2Link();
    assert.equal((await use(url)).status, 200);
    assert.equal((await records(id))[0]?.status, 200);
  });

  it('a POST with controls in its URL: InvalidArgument (the policy does not sign the URL); other operations pass', async () => {
    const { url, id } = v4Link('?X-Latchkey-Max-Uses=1');
    const { status, outcome } = await use(url, { request: { operation: 'PostObject' } });
    assert.equal(status, 400);
    refusedWith(outcome, 'InvalidArgument', 400, 'X-Latchkey-* link controls need a SigV4 pre-signed URL: a POST policy does not sign the URL', { ArgumentName: 'policy', ArgumentValue: 'POST' });
    assert.equal(await counted(id), null);
    const plain = v4Link();
    assert.equal((await use(plain.url, { request: { operation: 'PostObject' } })).status, 200);
  });

  it('a revoked link: AccessDenied before any use is taken', async () => {
    const { url, id } = v4Link('?X-Latchkey-Max-Uses=5');
    await metadata.links.revoke({ kind: 'link', subject: id, before: null, expiresAt: new Date(GUARD_NOW + 60_000) });
    const { status, outcome } = await use(url);
    assert.equal(status, 403);
    refusedWith(outcome, 'AccessDenied', 403, LINK_REFUSED.revoked);
    assert.equal(outcome.admission, undefined);
    assert.equal(await counted(id), null);
    assert.equal((await records(id))[0]?.status, 403);
  });

  it('revocations are checked at the guard clock, for this signer, bucket and signing time', async () => {
    // Expired by the guard's clock (though not by the wall clock): no longer applies.
    const expired = v4Link();
    await metadata.links.revoke({ kind: 'link', subject: expired.id, before: null, expiresAt: new Date(GUARD_NOW - 1) });
    assert.equal((await use(expired.url)).status, 200);

    const signer = v4Link('', Date.now() - 5_000);
    await metadata.links.revoke({ kind: 'signer', subject: CREDENTIALS.accessKeyId, before: new Date(signer.signedAt), expiresAt: new Date(GUARD_NOW + 60_000) });
    assert.equal((await use(signer.url)).status, 200, 'signed at the instant, not before it');
    await metadata.links.revoke({ kind: 'signer', subject: CREDENTIALS.accessKeyId, before: new Date(signer.signedAt + 1), expiresAt: new Date(GUARD_NOW + 60_000) });
    refusedWith((await use(signer.url)).outcome, 'AccessDenied', 403, LINK_REFUSED.revoked);

    // Another signer (the test's key lookup gives every key the same secret), whom the revocation above does not cover.
    const later = v4Link('', Date.now() + 60_000, 'AKIDBUCKETEDGES');
    await metadata.links.revoke({ kind: 'bucket', subject: 'revoked-bucket', before: new Date(later.signedAt), expiresAt: new Date(GUARD_NOW + 60_000) });
    assert.equal((await use(later.url, { request: { bucket: 'revoked-bucket' } })).status, 200, 'signed at the instant');
    const earlier = v4Link('', Date.now() - 60_000, 'AKIDBUCKETEDGES');
    assert.equal((await use(earlier.url, { request: { bucket: 'other-bucket' } })).status, 200);
    refusedWith((await use(earlier.url, { request: { bucket: 'revoked-bucket' } })).outcome, 'AccessDenied', 403, LINK_REFUSED.revoked);
  });

  it('from outside its source block, or an unreadable address: AccessDenied, no use taken', async () => {
    const { url, id } = v4Link('?X-Latchkey-Max-Uses=5&X-Latchkey-Source-Ip=10.0.0.0%2F8');
    refusedWith((await use(url)).outcome, 'AccessDenied', 403, LINK_REFUSED.sourceIp);
    refusedWith((await use(url, { request: { clientIp: 'not-an-address' } })).outcome, 'AccessDenied', 403, LINK_REFUSED.sourceIp);
    assert.equal(await counted(id), null);
    const inside = await use(url, { request: { clientIp: '10.9.8.7' } });
    assert.equal(inside.status, 200);
    assert.deepEqual(await counted(id), { uses: 1, maxUses: 5 });
    assert.deepEqual((await records(id)).map((r) => [r.status, r.clientIp]), [[403, '127.0.0.1'], [403, 'not-an-address'], [200, '10.9.8.7']]);
  });

  it('without the memo, the controls are read from the query all the same', async () => {
    const { url, id } = v4Link('?X-Latchkey-Max-Uses=1&X-Latchkey-Source-Ip=10.0.0.0%2F8');
    refusedWith((await use(url, { memo: false })).outcome, 'AccessDenied', 403, LINK_REFUSED.sourceIp);
    assert.equal((await use(url, { memo: false, request: { clientIp: '10.0.0.1' } })).status, 200);
    refusedWith((await use(url, { memo: false, request: { clientIp: '10.0.0.1' } })).outcome, 'AccessDenied', 403, LINK_REFUSED.useLimit);
    assert.deepEqual(await counted(id), { uses: 1, maxUses: 1 });
  });

  it('past its use limit: AccessDenied, and the counter stays at the limit', async () => {
    const { url, id } = v4Link('?X-Latchkey-Max-Uses=2');
    assert.equal((await use(url)).status, 200);
    assert.equal((await use(url)).status, 200);
    const { status, outcome } = await use(url);
    assert.equal(status, 403);
    refusedWith(outcome, 'AccessDenied', 403, LINK_REFUSED.useLimit);
    assert.deepEqual(await counted(id), { uses: 2, maxUses: 2 });
  });
});

describe('when a use counts', () => {
  const answerWith = (code: number) => async (res: ServerResponse, admission: LinkAdmission) => {
    await admission.reserveUse();
    res.writeHead(code).end();
  };

  it('a 304 counts; a 400 is given back', async () => {
    const { url, id } = v4Link('?X-Latchkey-Max-Uses=3');
    assert.equal((await use(url, { answer: answerWith(304) })).status, 304);
    assert.deepEqual(await counted(id), { uses: 1, maxUses: 3 });
    assert.equal((await use(url, { answer: answerWith(400) })).status, 400);
    for (let i = 0; i < 200 && (await counted(id))?.uses !== 1; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(await counted(id), { uses: 1, maxUses: 3 });
    assert.equal((await use(url, { answer: answerWith(399) })).status, 399);
    assert.deepEqual(await counted(id), { uses: 2, maxUses: 3 });
    assert.deepEqual(warnings, []);
  });

  it('a refund the database refuses is a warning, not a crash', async () => {
    const other = new SqliteMetadataStore(join(dir, 'refund.db'));
    const { url } = v4Link('?X-Latchkey-Max-Uses=3');
    const { status, outcome } = await use(url, {
      store: other.links,
      answer: async (res, admission) => {
        await admission.reserveUse();
        // The database goes away between the reservation and the failed answer's refund.
        await other.close();
        res.writeHead(500).end();
      },
    });
    assert.equal(status, 500);
    assert.equal(outcome.error, undefined);
    await until(() => warnings.length > 0);
    assert.deepEqual(warnings.splice(0), ['could not refund a link use']);
  });

  it('a failure with no use reserved gives nothing back', async () => {
    const { url, id } = v4Link('?X-Latchkey-Max-Uses=3');
    assert.equal((await use(url)).status, 200);
    assert.equal((await use(url, { answer: (res) => Promise.resolve(void res.writeHead(404).end()) })).status, 404);
    assert.deepEqual(await counted(id), { uses: 1, maxUses: 3 });
  });

  it('a use reserved after the answer closed successfully is kept', async () => {
    const { url, id } = v4Link('?X-Latchkey-Max-Uses=3');
    const { outcome } = await use(url, { answer: (res) => Promise.resolve(void res.end('body')) });
    await outcome.admission?.reserveUse();
    assert.deepEqual(await counted(id), { uses: 1, maxUses: 3 });
  });
});

describe('the audit record', () => {
  it('says who, what, when, the status, the size sent and from where', async () => {
    const { url, id } = v4Link();
    await use(url, { request: { method: 'HEAD', bytesOut: 1234, userAgent: 'curl/8' } });
    assert.deepEqual(await records(id), [
      {
        at: new Date(GUARD_NOW), link: id, accessKeyId: CREDENTIALS.accessKeyId, userName: 'alice', method: 'HEAD', bucket: 'bucket', key: 'key.txt',
        status: 200, bytes: 1234, clientIp: '127.0.0.1', userAgent: 'curl/8',
      },
    ]);
  });

  it('an upload counts its bytes in; no bucket, key or user agent are null; a long agent is cut at 512', async () => {
    const { url, id } = v4Link();
    await use(url, { request: { bytesIn: 77, bytesOut: 5, bucket: undefined, key: undefined, userAgent: null } });
    await use(url, { request: { userAgent: `${'a'.repeat(512)}bc` } });
    const [upload, long] = await records(id);
    assert.equal(upload?.bytes, 77);
    assert.equal(upload?.bucket, null);
    assert.equal(upload?.key, null);
    assert.equal(upload?.userAgent, null);
    assert.equal(long?.userAgent, 'a'.repeat(512));
  });

  it('a client gone before any answer is status 0', async () => {
    const { url, id } = v4Link('?X-Latchkey-Max-Uses=1');
    let admitted!: () => void;
    const reserved = new Promise<void>((resolve) => (admitted = resolve));
    scenario = {
      answer: async (res, admission) => {
        await admission.reserveUse();
        admitted();
        await new Promise<void>((resolve) => (res.destroyed ? resolve() : res.once('close', () => resolve())));
      },
    };
    outcomes = [];
    const controller = new AbortController();
    const fetching = fetch(url, { signal: controller.signal }).catch(() => undefined);
    await reserved;
    controller.abort();
    await fetching;
    await Promise.all(outcomes);
    assert.equal((await records(id))[0]?.status, 0);
    for (let i = 0; i < 200 && (await counted(id))?.uses !== 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(await counted(id), { uses: 0, maxUses: 1 });
  });
});
