import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import type { LinkAdmission } from '../../src/links/link-guard.js';
import { LinkMemo } from '../../src/links/link-memo.js';
import { LinkService, type LinkServiceOptions } from '../../src/links/link-service.js';
import { createLogger } from '../../src/logger.js';
import { resolveAddress } from '../../src/s3/addressing.js';
import { parsePostPolicy } from '../../src/s3/post-object/policy.js';
import { SqliteMetadataStore } from '../../src/storage/sqlite/sqlite-metadata-store.js';
import { startLinkServiceServer, type LinkServiceRoute, type LinkServiceServer } from '../helpers/link-service-server.js';

/*
 * The link service's request path in-process (service-edges covers its admin
 * side): what it hands the guard (its memo, its logger), how long a log query
 * waits for answers under way (timers mocked, so only the answers' own ends
 * can release it), and the sweep's slowest pace.
 */

const CREDENTIALS = { accessKeyId: 'AKIDSERVICEADMIT', secretAccessKey: 'service/admit' };
const NOW = Date.UTC(2030, 0, 1, 12);
const READING = { region: 'us-east-1', address: (host: string, wirePath: string) => resolveAddress(host, wirePath, undefined), postPolicy: parsePostPolicy };

interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

let dir: string;
let metadata: SqliteMetadataStore;
let server: LinkServiceServer;
/** The service the server admits through, and what it does with an admitted request. */
let current: LinkServiceRoute;
const services: LinkService[] = [];

function service(overrides: Partial<LinkServiceOptions> = {}): { links: LinkService; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const links = new LinkService({ store: metadata.links, logger: createLogger(out, false), now: () => NOW, auditRetentionMs: 86_400_000, reading: READING, auditIntervalMs: 3_600_000, ...overrides });
  services.push(links);
  return { links, lines };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-service-admit-'));
  metadata = new SqliteMetadataStore(join(dir, 'meta.db'));
  server = await startLinkServiceServer(CREDENTIALS, 'admitted', () => current);
});
after(async () => {
  await server?.close();
  for (const links of services) await links.close();
  await metadata?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const served = async (res: ServerResponse, admission: LinkAdmission) => {
  await admission.reserveUse();
  res.end('body');
};

/** Whether `promise` settles within `turns` turns of the event loop (I/O included), with no timer needed. */
async function settlesWithin(promise: Promise<unknown>, turns = 2000): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  for (let i = 0; i < turns && !settled; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('what the service hands the guard', () => {
  it('its memo: controls it remembers for a query are the ones applied', async () => {
    const memo = new LinkMemo();
    current = { links: service({ memo }).links, answer: served };
    const limited = server.link('?X-Latchkey-Max-Uses=1');
    // Remembered for this raw query as no controls at all: only a guard that asks this memo lets the link be used twice.
    assert.deepEqual(memo.controlsOf({ method: 'GET', rawQuery: limited.rawQuery, queryPairs: [] }), {});
    for (let i = 0; i < 2; i++) assert.equal((await fetch(limited.url)).status, 200);
    // Without a memo, the same kind of link is used once.
    current = { links: service().links, answer: served };
    const once = server.link('?X-Latchkey-Max-Uses=1');
    assert.equal((await fetch(once.url)).status, 200);
    assert.equal((await fetch(once.url)).status, 403);
  });

  it('its logger: a refund the database refuses is a warning with the error', async () => {
    const other = new SqliteMetadataStore(join(dir, 'refund.db'));
    const { links, lines } = service({ store: other.links });
    current = {
      links,
      answer: async (res, admission) => {
        await admission.reserveUse();
        await other.close();
        res.writeHead(500).end();
      },
    };
    assert.equal((await fetch(server.link('?X-Latchkey-Max-Uses=2').url)).status, 500);
    for (let i = 0; i < 500 && !lines.some((line) => line.msg === 'could not refund a link use'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const warning = lines.find((line) => line.msg === 'could not refund a link use');
    assert.equal(warning?.level, 'warn');
    assert.match(String(warning?.['error']), /not open/);
  });
});

describe('a log query and the answers under way (setTimeout mocked: the 250 ms cap never passes)', () => {
  it('waits for an answer that has begun until it closes, and for none that has not begun', async (t) => {
    let ready!: (res: ServerResponse) => void;
    const admitted = () => new Promise<ServerResponse>((resolve) => (ready = resolve));
    current = { links: service().links, answer: (res) => Promise.resolve(ready(res)) };
    const { links } = current;

    // Admitted, nothing sent yet.
    const waiting = admitted();
    const silent = server.link();
    const silentResponse = fetch(silent.url);
    const quiet = await waiting;
    t.mock.timers.enable({ apis: ['setTimeout'] });
    assert.equal(await settlesWithin(links.log({ link: silent.id, limit: 10 })), true, 'an answer not begun is not waited for');

    // Begun: waited for until it closes.
    t.mock.timers.reset();
    const begun = admitted();
    const started = server.link();
    const startedResponse = fetch(started.url);
    const res = await begun;
    res.writeHead(200);
    res.write('part');
    const response = await startedResponse;
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const logging = links.log({ link: started.id, limit: 10 });
    assert.equal(await settlesWithin(logging, 200), false, 'an answer under way is waited for');
    res.end();
    assert.equal(await settlesWithin(logging), true, 'its close ends the wait');
    assert.deepEqual((await logging).records.map((r) => r.status), [200]);
    t.mock.timers.reset();
    await response.arrayBuffer();
    quiet.writeHead(204).end();
    await silentResponse;
  });
});

describe('the sweep', () => {
  it('runs no more often than once a second, however short the audit retention', async (t) => {
    const admin = new Database(join(dir, 'meta.db'));
    t.after(() => admin.close());
    const subject = 'AKIDSLOWEST';
    const left = () => (admin.prepare('SELECT count(*) AS n FROM link_revocations WHERE subject = ?').get(subject) as { n: number }).n;
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { links } = service({ auditRetentionMs: 400 });
    await links.sweep();
    await metadata.links.revoke({ kind: 'signer', subject, before: new Date(NOW - 1), expiresAt: new Date(NOW - 1) });
    t.mock.timers.tick(999);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(left(), 1, 'nothing swept before a second');
    t.mock.timers.tick(1);
    for (let i = 0; i < 500 && left() !== 0; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(left(), 0);
    await links.close();
  });
});
