import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { LinkService } from '../../src/links/link-service.js';
import { linkId } from '../../src/links/link-identity.js';
import { createLogger } from '../../src/logger.js';
import { presignPost } from '../../src/presign/post.js';
import { resolveAddress } from '../../src/s3/addressing.js';
import { parsePostPolicy } from '../../src/s3/post-object/policy.js';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { signV2 } from '../../src/sigv4/sigv2.js';
import type { LinkAuditRecord } from '../../src/storage/link-store.js';
import { SqliteMetadataStore } from '../../src/storage/sqlite/sqlite-metadata-store.js';
import { startLinkServiceServer, type LinkServiceServer } from '../helpers/link-service-server.js';

/*
 * The link service in-process, against the real SQLite store: revocation
 * (what it records and until when), a link's report, the audit log query
 * waiting for answers under way, and the sweep (when it runs, what it logs).
 */

const CREDENTIALS = { accessKeyId: 'AKIDSERVICEEDGES', secretAccessKey: 'service/edges' };
const WEEK_MS = 7 * 86_400_000;
const NOW = Date.UTC(2030, 0, 1, 12);
const READING = { region: 'us-east-1', address: (host: string, wirePath: string) => resolveAddress(host, wirePath, undefined), postPolicy: parsePostPolicy };

let dir: string;
let metadata: SqliteMetadataStore;
let admin: Database.Database;
const services: LinkService[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-service-edges-'));
  metadata = new SqliteMetadataStore(join(dir, 'meta.db'));
  admin = new Database(join(dir, 'meta.db'));
});
after(async () => {
  for (const service of services) await service.close();
  admin?.close();
  await metadata?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

function service(options: { now?: () => number; auditRetentionMs?: number; sweepIntervalMs?: number; auditIntervalMs?: number } = {}): { links: LinkService; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const links = new LinkService({
    store: metadata.links, logger: createLogger(out, false), now: options.now ?? (() => NOW), auditRetentionMs: options.auditRetentionMs ?? 86_400_000, reading: READING,
    auditIntervalMs: options.auditIntervalMs ?? 3_600_000, ...(options.sweepIntervalMs === undefined ? {} : { sweepIntervalMs: options.sweepIntervalMs }),
  });
  services.push(links);
  return { links, lines };
}

let distinct = 0;
function v4Url(path = '/photos/cat.jpg', signedAt = NOW - 60_000, expiresIn = 600): { url: string; id: string; signedAt: number; expiresAt: number } {
  const { url, signature } = presign({ method: 'GET', url: `http://127.0.0.1:9000${path}`, credentials: CREDENTIALS, region: 'us-east-1', now: signedAt + distinct++ * 1000, expiresIn, crypto: nodeCrypto });
  const at = Math.floor((signedAt + (distinct - 1) * 1000) / 1000) * 1000;
  return { url, id: linkId(4, signature), signedAt: at, expiresAt: at + expiresIn * 1000 };
}

const check = (id: string, now: number, rest: { accessKeyId?: string; bucket?: string; signedAt?: number } = {}) =>
  metadata.links.revokedBy({ link: id, accessKeyId: rest.accessKeyId ?? 'nobody', bucket: rest.bucket, signedAt: rest.signedAt ?? NOW, now: new Date(now) });

function entry(link: string, status = 200): LinkAuditRecord {
  return { at: new Date(NOW), link, accessKeyId: CREDENTIALS.accessKeyId, userName: 'alice', method: 'GET', bucket: 'photos', key: 'cat.jpg', status, bytes: 1, clientIp: '127.0.0.1', userAgent: null };
}

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await condition()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(await condition());
}

describe('revoking', () => {
  it('a URL: that link only, until it expires', async () => {
    const { links } = service();
    const link = v4Url();
    const parsed = await links.revokeLink(link.url);
    assert.equal(parsed.link.id, link.id);
    assert.equal(parsed.bucket, 'photos');
    assert.equal(await check(link.id, link.expiresAt - 1), 'link');
    assert.equal(await check(link.id, link.expiresAt), null, 'the record ends with the link');
    assert.equal(await check(v4Url().id, NOW), null);
  });

  it('a POST policy by its form fields', async () => {
    const { links } = service();
    const { fields, expiresAt } = presignPost({ endpoint: 'http://127.0.0.1:9000', bucket: 'uploads', key: 'a', credentials: CREDENTIALS, now: NOW, expiresIn: 60, crypto: nodeCrypto });
    const parsed = await links.revokeLink(fields);
    assert.equal(parsed.bucket, 'uploads');
    const id = linkId(4, fields['x-amz-signature'] ?? '');
    assert.equal(await check(id, expiresAt.getTime() - 1), 'link');
    assert.equal(await check(id, expiresAt.getTime()), null);
  });

  it('by signer or bucket before an instant: the record lasts a link lifetime past that instant or now, whichever is later', async () => {
    const { links } = service();
    const past = new Date(NOW - 3_600_000);
    assert.deepEqual(await links.revokeSignedBefore('signer', 'AKIDPAST', past), { expiresAt: new Date(NOW + WEEK_MS) });
    assert.equal(await check('x', NOW + WEEK_MS - 1, { accessKeyId: 'AKIDPAST', signedAt: past.getTime() - 1 }), 'signer');
    assert.equal(await check('x', NOW + WEEK_MS, { accessKeyId: 'AKIDPAST', signedAt: past.getTime() - 1 }), null);
    assert.equal(await check('x', NOW, { accessKeyId: 'AKIDPAST', signedAt: past.getTime() }), null, 'signed at the instant');

    const future = new Date(NOW + 3_600_000);
    assert.deepEqual(await links.revokeSignedBefore('bucket', 'future-bucket', future), { expiresAt: new Date(future.getTime() + WEEK_MS) });
    assert.equal(await check('x', future.getTime() + WEEK_MS - 1, { bucket: 'future-bucket', signedAt: NOW }), 'bucket');
    assert.equal(await check('x', NOW, { bucket: 'other', signedAt: NOW }), null);
  });
});

describe('a link report', () => {
  it('its uses, its audit, and the revocation that covers it', async () => {
    const { links } = service();
    const link = v4Url('/reported/a.txt?X-Latchkey-Max-Uses=3');
    assert.deepEqual(await links.report(link.url), {
      link: { id: link.id, version: 4, accessKeyId: CREDENTIALS.accessKeyId, signedAt: link.signedAt, expiresAt: link.expiresAt },
      bucket: 'reported', key: 'a.txt', controls: { maxUses: 3 }, usage: { counted: null, logged: 0, lastUsedAt: null }, revokedBy: null,
    });
    assert.equal(await metadata.links.reserveUse(link.id, 3, new Date(link.expiresAt)), true);
    // Recorded, not yet written: the report waits for the audit log.
    links.audit.record(entry(link.id));
    links.audit.record(entry(link.id, 403));
    const report = await links.report(link.url);
    assert.deepEqual(report.usage, { counted: { uses: 1, maxUses: 3 }, logged: 1, lastUsedAt: new Date(NOW) });

    await links.revokeSignedBefore('bucket', 'reported', new Date(link.signedAt));
    assert.equal((await links.report(link.url)).revokedBy, null, 'signed at the instant');
    await links.revokeSignedBefore('bucket', 'reported', new Date(link.signedAt + 1));
    assert.equal((await links.report(link.url)).revokedBy, 'bucket');
  });

  it('a SigV2 link is taken as signed a week before it expires; the service clock decides what is still live', async () => {
    let clock = NOW;
    const { links } = service({ now: () => clock });
    const { url } = signV2({ mode: 'query', method: 'GET', url: 'http://127.0.0.1:9000/v2bucket/k', credentials: { ...CREDENTIALS, accessKeyId: 'AKIDV2REPORT' }, now: NOW, expiresIn: 60, crypto: nodeCrypto });
    const bound = Math.floor(NOW / 1000) * 1000 + 60_000 - WEEK_MS;
    await links.revokeSignedBefore('signer', 'AKIDV2REPORT', new Date(bound));
    assert.equal((await links.report(url)).revokedBy, null);
    await links.revokeSignedBefore('signer', 'AKIDV2REPORT', new Date(bound + 1));
    assert.equal((await links.report(url)).revokedBy, 'signer');
    clock = NOW + 2 * WEEK_MS;
    assert.equal((await links.report(url)).revokedBy, null);
  });

  it('parse reads URLs and forms', () => {
    const { links } = service();
    assert.equal(links.parse(v4Url('/parsed/x').url).bucket, 'parsed');
    const { fields } = presignPost({ endpoint: 'http://127.0.0.1:9000', bucket: 'formed', key: 'a', credentials: CREDENTIALS, now: NOW, expiresIn: 60, crypto: nodeCrypto });
    assert.equal(links.parse(fields).bucket, 'formed');
  });

  it('bucketExists asks the store', async () => {
    const { links } = service();
    assert.equal(await links.bucketExists('service-edges-bucket'), false);
    await metadata.createBucket({ name: 'service-edges-bucket', owner: 'root' });
    assert.equal(await links.bucketExists('service-edges-bucket'), true);
  });
});

describe('the audit log query', () => {
  let server: LinkServiceServer;
  let links: LinkService;
  let finish: (res: ServerResponse) => void = (res) => void res.end();

  before(async () => {
    links = service().links;
    server = await startLinkServiceServer(CREDENTIALS, 'logged', () => ({ links, answer: (res) => finish(res) }));
  });
  after(async () => {
    await server?.close();
  });

  it('returns what was recorded but not yet written', async () => {
    links.audit.record(entry('unwritten'));
    assert.equal((await links.log({ link: 'unwritten', limit: 10 })).records.length, 1);
  });

  it('waits for an answer under way to close', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    finish = (res) => {
      res.writeHead(200);
      res.write('part');
      void released.then(() => res.end());
    };
    const { url, id } = server.link();
    const response = await fetch(url);
    const logging = links.log({ link: id, limit: 10 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    assert.deepEqual((await logging).records.map((r) => r.status), [200]);
    await response.arrayBuffer();
  });

  it('does not wait long for an answer that does not end', async () => {
    finish = (res) => {
      res.writeHead(200);
      res.write('part');
    };
    const { url, id } = server.link();
    const response = await fetch(url);
    assert.deepEqual((await links.log({ link: id, limit: 10 })).records, []);
    void response.body?.cancel();
  });
});

describe('the sweep', () => {
  const revocations = () => (admin.prepare('SELECT count(*) AS n FROM link_revocations').get() as { n: number }).n;

  it('runs when the service starts, forgets what expired, and logs what it swept', async () => {
    await metadata.links.revoke({ kind: 'signer', subject: 'AKIDSWEPT', before: new Date(NOW - 1), expiresAt: new Date(NOW - 1) });
    const before = revocations();
    const { lines } = service();
    await until(() => lines.length > 0);
    assert.equal(revocations(), before - 1);
    assert.deepEqual(lines.map(({ level, msg, revocations: r, counters, audit }) => ({ level, msg, r, counters, audit })), [
      { level: 'info', msg: 'swept link records', r: 1, counters: 0, audit: 0 },
    ]);
  });

  it('logs nothing when nothing expired; audit past retention counts', async () => {
    const { links, lines } = service({ auditRetentionMs: 60_000 });
    await links.sweep();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(lines, []);
    await metadata.links.appendAudit([{ ...entry('old'), at: new Date(NOW - 60_001) }, { ...entry('old'), at: new Date(NOW - 60_000) }]);
    await links.sweep();
    await until(() => lines.length > 0);
    assert.deepEqual(lines.map(({ msg, revocations: r, counters, audit }) => ({ msg, r, counters, audit })), [{ msg: 'swept link records', r: 0, counters: 0, audit: 1 }]);
  });

  it('a failed sweep is a warning, and the sweeps after it still run', async () => {
    // A store whose database has gone away: every sweep fails.
    const gone = new SqliteMetadataStore(join(dir, 'gone.db'));
    const lines: LogLine[] = [];
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as LogLine);
        done();
      },
    });
    const links = new LinkService({ store: gone.links, logger: createLogger(out, false), now: () => NOW, auditRetentionMs: 86_400_000, reading: READING, auditIntervalMs: 3_600_000 });
    await links.sweep();
    await gone.close();
    await links.sweep();
    await links.sweep();
    await until(() => lines.length >= 2);
    assert.deepEqual(lines.map(({ level, msg }) => [level, msg]), [['warn', 'link record sweep failed'], ['warn', 'link record sweep failed']]);
    assert.match(String(lines[0]?.['error']), /not open/);
    // The audit log's warnings go to the same logger.
    links.audit.record(entry('gone'));
    await links.audit.flush();
    await until(() => lines.length >= 3);
    assert.deepEqual(lines.slice(2).map(({ level, msg }) => [level, msg]), [['warn', 'could not write 1 link audit records; retrying']]);
    assert.match(String(lines[2]?.['error']), /not open/);
    // Not closed: its close would retry the record for five seconds (audit-edges covers that); its timers are unref'd.
  });

  it('runs every quarter of the audit retention, within one second and ten minutes, unless told', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const cases = [[400, 1_000, undefined], [8_000, 2_000, undefined], [3_600_000, 600_000, undefined], [3_600_000, 50, 50]] as const;
    for (const [retention, every, interval] of cases) {
      const subject = `AKIDTICK${retention}-${every}`;
      const left = () => (admin.prepare('SELECT count(*) AS n FROM link_revocations WHERE subject = ?').get(subject) as { n: number }).n;
      const { links } = service({ auditRetentionMs: retention, ...(interval === undefined ? {} : { sweepIntervalMs: interval }) });
      await links.sweep();
      await metadata.links.revoke({ kind: 'signer', subject, before: new Date(NOW - 1), expiresAt: new Date(NOW - 1) });
      t.mock.timers.tick(every - 1);
      await links.sweep();
      assert.equal(left(), 0, 'an explicit sweep forgets it');
      await metadata.links.revoke({ kind: 'signer', subject, before: new Date(NOW - 1), expiresAt: new Date(NOW - 1) });
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(left(), 1, `nothing swept before ${every} ms`);
      t.mock.timers.tick(1);
      await until(() => left() === 0);
      await links.close();
    }
  });

  it('writes the audit log as often as told', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { links } = service({ auditIntervalMs: 20 });
    links.audit.record(entry('interval'));
    t.mock.timers.tick(20);
    await until(async () => (await metadata.links.queryAudit({ link: 'interval', limit: 10 })).records.length === 1);
    await links.close();
  });

  it('close writes the audit records still in memory', async () => {
    const { links } = service();
    links.audit.record(entry('closing'));
    await links.close();
    assert.equal((await metadata.links.queryAudit({ link: 'closing', limit: 10 })).records.length, 1);
  });
});
