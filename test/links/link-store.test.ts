import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteMetadataStore } from '../../src/storage/sqlite-metadata-store.js';
import type { LinkAuditRecord, LinkStore } from '../../src/storage/link-store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function auditRecord(at: number, fields: Partial<LinkAuditRecord> = {}): LinkAuditRecord {
  return {
    at: new Date(at), link: 'l1', accessKeyId: 'AK1', userName: 'alice', method: 'GET', bucket: 'b', key: 'k', status: 200, bytes: 5,
    clientIp: '127.0.0.1', userAgent: 'test', ...fields,
  };
}

describe('SqliteLinkStore', () => {
  let dir: string;
  let file: string;
  let metadata: SqliteMetadataStore;
  let links: LinkStore;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-links-'));
    file = join(dir, 'meta.db');
    metadata = new SqliteMetadataStore(file);
    links = metadata.links;
  });
  after(async () => {
    await metadata?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = (table: string): number => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it('hands out exactly maxUses uses to concurrent callers, and takes refunds', async () => {
    const expires = new Date(Date.now() + HOUR);
    const results = await Promise.all(Array.from({ length: 50 }, () => links.reserveUse('three', 3, expires)));
    assert.equal(results.filter(Boolean).length, 3);
    assert.deepEqual((await links.linkUsage('three')).counted, { uses: 3, maxUses: 3 });
    await links.refundUse('three');
    assert.equal(await links.reserveUse('three', 3, expires), true);
    assert.equal(await links.reserveUse('three', 3, expires), false);
    // A refund never goes below zero.
    for (let i = 0; i < 5; i++) await links.refundUse('three');
    assert.deepEqual((await links.linkUsage('three')).counted, { uses: 0, maxUses: 3 });
    assert.equal((await links.linkUsage('never-used')).counted, null);
  });

  it('revokes one link, a signer before a time, a bucket before a time; only while the record lives', async () => {
    const now = Date.now();
    const live = new Date(now + HOUR);
    await links.revoke({ kind: 'link', subject: 'sig-a', before: null, expiresAt: live });
    await links.revoke({ kind: 'signer', subject: 'AKREVOKED', before: new Date(now - 1000), expiresAt: live });
    await links.revoke({ kind: 'bucket', subject: 'closed', before: new Date(now - 1000), expiresAt: live });
    const check = (link: string, accessKeyId: string, bucket: string | undefined, signedAt: number, at = now) =>
      links.revokedBy({ link, accessKeyId, bucket, signedAt, now: new Date(at) });
    assert.equal(await check('sig-a', 'AK', 'open', now), 'link');
    assert.equal(await check('sig-b', 'AK', 'open', now - 5000), null);
    assert.equal(await check('sig-b', 'AKREVOKED', 'open', now - 5000), 'signer');
    assert.equal(await check('sig-b', 'AKREVOKED', 'open', now - 1000), null, 'signed exactly at TIME: not before it');
    assert.equal(await check('sig-b', 'AKREVOKED', 'open', now), null);
    assert.equal(await check('sig-b', 'AK', 'closed', now - 5000), 'bucket');
    assert.equal(await check('sig-b', 'AK', 'closed', now + 1), null);
    assert.equal(await check('sig-b', 'AK', undefined, now - 5000), null);
    // Past its expiry a record no longer applies (and the sweep may drop it).
    assert.equal(await check('sig-a', 'AK', 'open', now, now + 2 * HOUR), null);
    // A second revocation of the same signer keeps the later time, and the store keeps one row for it.
    await links.revoke({ kind: 'signer', subject: 'AKREVOKED', before: new Date(now + 10_000), expiresAt: new Date(now + 2 * HOUR) });
    await links.revoke({ kind: 'signer', subject: 'AKREVOKED', before: new Date(now - 60_000), expiresAt: live });
    assert.equal(await check('sig-b', 'AKREVOKED', 'open', now + 5000), 'signer');
    assert.equal(await check('sig-b', 'AKREVOKED', 'open', now + 5000, now + 90 * 60_000), 'signer', 'the later expiry is kept');
    assert.equal(count("link_revocations WHERE kind = 'signer'"), 1);
  });

  it('sweeps expired revocations and counters and old audit records, so the tables stay bounded', async () => {
    const now = Date.now();
    for (let i = 0; i < 200; i++) {
      await links.revoke({ kind: 'link', subject: `old-${i}`, before: null, expiresAt: new Date(now - 1000 - i) });
      await links.reserveUse(`old-counter-${i}`, 1, new Date(now - 1000 - i));
    }
    await links.revoke({ kind: 'link', subject: 'still-live', before: null, expiresAt: new Date(now + DAY) });
    await links.reserveUse('live-counter', 1, new Date(now + DAY));
    await links.appendAudit(Array.from({ length: 12_000 }, (_, i) => auditRecord(now - 40 * DAY + i)));
    await links.appendAudit([auditRecord(now - DAY, { link: 'recent' })]);
    const revocationsBefore = count('link_revocations');
    const countersBefore = count('link_uses');
    assert.ok(revocationsBefore >= 201 && countersBefore >= 201);
    assert.equal(count('link_audit') >= 12_001, true);

    const swept = await links.sweep(new Date(now), new Date(now - 30 * DAY));
    assert.ok(swept.revocations >= 200, JSON.stringify(swept));
    assert.ok(swept.counters >= 200, JSON.stringify(swept));
    assert.equal(swept.audit, 12_000, 'more than one batch of audit rows');
    assert.equal(count('link_revocations WHERE expires_at <= ' + now), 0);
    assert.equal(count('link_uses WHERE expires_at <= ' + now), 0);
    assert.equal(count("link_revocations WHERE subject = 'still-live'"), 1);
    assert.equal(count("link_uses WHERE link = 'live-counter'"), 1);
    assert.equal(count('link_audit'), count("link_audit WHERE link = 'recent'"));
    assert.deepEqual(await links.sweep(new Date(now), new Date(now - 30 * DAY)), { revocations: 0, counters: 0, audit: 0 });
  });

  it('queries the audit log by bucket, key, signer (key id or user), link and time, newest N oldest first', async () => {
    const t = Date.now() + HOUR;
    await links.appendAudit([
      auditRecord(t + 1, { link: 'q1', bucket: 'photos', key: 'a.jpg', accessKeyId: 'AKALICE', userName: 'alice' }),
      auditRecord(t + 2, { link: 'q1', bucket: 'photos', key: 'b.jpg', accessKeyId: 'AKALICE', userName: 'alice', status: 404 }),
      auditRecord(t + 3, { link: 'q2', bucket: 'docs', key: 'a.jpg', accessKeyId: 'AKBOB', userName: 'bob' }),
    ]);
    const keys = async (query: Parameters<LinkStore['queryAudit']>[0]) => (await links.queryAudit(query)).records.map((r) => `${r.bucket}/${r.key}`);
    const since = new Date(t);
    assert.deepEqual(await keys({ since, limit: 10 }), ['photos/a.jpg', 'photos/b.jpg', 'docs/a.jpg']);
    assert.deepEqual(await keys({ since, bucket: 'photos', limit: 10 }), ['photos/a.jpg', 'photos/b.jpg']);
    assert.deepEqual(await keys({ since, key: 'a.jpg', limit: 10 }), ['photos/a.jpg', 'docs/a.jpg']);
    assert.deepEqual(await keys({ since, signer: 'bob', limit: 10 }), ['docs/a.jpg']);
    assert.deepEqual(await keys({ since, signer: 'AKALICE', limit: 10 }), ['photos/a.jpg', 'photos/b.jpg']);
    assert.deepEqual(await keys({ since, link: 'q2', limit: 10 }), ['docs/a.jpg']);
    assert.deepEqual(await keys({ since: new Date(t + 2), limit: 10 }), ['photos/b.jpg', 'docs/a.jpg']);
    const page = await links.queryAudit({ since, limit: 2 });
    assert.equal(page.truncated, true);
    assert.deepEqual(page.records.map((r) => r.key), ['b.jpg', 'a.jpg']);
    const usage = await links.linkUsage('q1');
    assert.equal(usage.logged, 1, 'only successes count as uses');
    assert.equal(usage.lastUsedAt?.getTime(), t + 1);
  });
});
