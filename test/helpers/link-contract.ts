import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { LinkAuditRecord, LinkStore } from '../../src/storage/link-store.js';
import type { StoreFactory, StoreFixture } from './store-fixtures.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function auditRecord(at: number, fields: Partial<LinkAuditRecord> = {}): LinkAuditRecord {
  return {
    at: new Date(at), link: 'l1', accessKeyId: 'AK1', userName: 'alice', method: 'GET', bucket: 'b', key: 'k', status: 200, bytes: 5,
    clientIp: '127.0.0.1', userAgent: 'test', ...fields,
  };
}

/** The behaviour every LinkStore backend must share. */
export function linkStoreContract(name: string, factory: StoreFactory, options: { skip?: string } = {}): void {
  describe(`LinkStore contract: ${name}`, options, () => {
    let fixture: StoreFixture;
    let links: LinkStore;
    beforeEach(async () => {
      fixture = await factory();
      links = fixture.store.links;
    });
    afterEach(() => fixture.cleanup());

    it('hands out exactly maxUses uses to concurrent callers, and takes refunds', async () => {
      const expires = new Date(Date.now() + HOUR);
      const results = await Promise.all(Array.from({ length: 50 }, () => links.reserveUse('three', 3, expires)));
      assert.equal(results.filter(Boolean).length, 3);
      assert.deepEqual((await links.linkUsage('three')).counted, { uses: 3, maxUses: 3 });
      await links.refundUse('three');
      assert.equal(await links.reserveUse('three', 3, expires), true);
      assert.equal(await links.reserveUse('three', 3, expires), false);
      for (let i = 0; i < 5; i++) await links.refundUse('three');
      assert.deepEqual((await links.linkUsage('three')).counted, { uses: 0, maxUses: 3 }, 'a refund never goes below zero');
      assert.equal((await links.linkUsage('never-used')).counted, null);
    });

    it('revokes one link, a signer before a time, a bucket before a time; only while the record lives', async () => {
      const now = Date.now();
      const live = new Date(now + HOUR);
      const check = (link: string, accessKeyId: string, bucket: string | undefined, signedAt: number, at = now) =>
        links.revokedBy({ link, accessKeyId, bucket, signedAt, now: new Date(at) });
      assert.equal(await check('sig-a', 'AK', 'open', now), null);
      await links.revoke({ kind: 'link', subject: 'sig-a', before: null, expiresAt: live });
      await links.revoke({ kind: 'signer', subject: 'AKREVOKED', before: new Date(now - 1000), expiresAt: live });
      await links.revoke({ kind: 'bucket', subject: 'closed', before: new Date(now - 1000), expiresAt: live });
      assert.equal(await check('sig-a', 'AK', 'open', now), 'link');
      assert.equal(await check('sig-b', 'AK', 'open', now - 5000), null);
      assert.equal(await check('sig-b', 'AKREVOKED', 'open', now - 5000), 'signer');
      assert.equal(await check('sig-b', 'AKREVOKED', 'open', now - 1000), null, 'signed exactly at TIME: not before it');
      assert.equal(await check('sig-b', 'AK', 'closed', now - 5000), 'bucket');
      assert.equal(await check('sig-b', 'AK', 'closed', now + 1), null);
      assert.equal(await check('sig-b', 'AK', undefined, now - 5000), null);
      assert.equal(await check('sig-a', 'AK', 'open', now, now + 2 * HOUR), null, 'past its expiry a record no longer applies');
      await links.revoke({ kind: 'signer', subject: 'AKREVOKED', before: new Date(now + 10_000), expiresAt: new Date(now + 2 * HOUR) });
      await links.revoke({ kind: 'signer', subject: 'AKREVOKED', before: new Date(now - 60_000), expiresAt: live });
      assert.equal(await check('sig-b', 'AKREVOKED', 'open', now + 5000), 'signer', 'the later time is kept');
      assert.equal(await check('sig-b', 'AKREVOKED', 'open', now + 5000, now + 90 * 60_000), 'signer', 'the later expiry is kept');
    });

    it('sweeps expired revocations and counters and old audit records', async () => {
      const now = Date.now();
      for (let i = 0; i < 20; i++) {
        await links.revoke({ kind: 'link', subject: `old-${i}`, before: null, expiresAt: new Date(now - 1000 - i) });
        await links.reserveUse(`old-counter-${i}`, 1, new Date(now - 1000 - i));
      }
      await links.revoke({ kind: 'link', subject: 'still-live', before: null, expiresAt: new Date(now + DAY) });
      await links.reserveUse('live-counter', 1, new Date(now + DAY));
      await links.appendAudit(Array.from({ length: 6_000 }, (_, i) => auditRecord(now - 40 * DAY + i, { link: 'old' })));
      await links.appendAudit([auditRecord(now - DAY, { link: 'recent' })]);
      const swept = await links.sweep(new Date(now), new Date(now - 30 * DAY));
      assert.deepEqual(swept, { revocations: 20, counters: 20, audit: 6_000 });
      assert.equal(await links.revokedBy({ link: 'still-live', accessKeyId: 'AK', bucket: undefined, signedAt: now, now: new Date(now) }), 'link');
      assert.deepEqual((await links.linkUsage('live-counter')).counted, { uses: 1, maxUses: 1 });
      assert.equal((await links.linkUsage('old-counter-0')).counted, null);
      assert.equal((await links.linkUsage('old')).logged, 0);
      assert.equal((await links.linkUsage('recent')).logged, 1);
      assert.deepEqual(await links.sweep(new Date(now), new Date(now - 30 * DAY)), { revocations: 0, counters: 0, audit: 0 });
    });

    it('queries the audit log by bucket, key, signer (key id or user), link and time, newest N oldest first', async () => {
      const t = Date.now() + HOUR;
      await links.appendAudit([
        auditRecord(t + 1, { link: 'q1', bucket: 'photos', key: 'a.jpg', accessKeyId: 'AKALICE', userName: 'alice' }),
        auditRecord(t + 2, { link: 'q1', bucket: 'photos', key: 'b.jpg', accessKeyId: 'AKALICE', userName: 'alice', status: 404 }),
        auditRecord(t + 3, { link: 'q2', bucket: 'docs', key: 'a.jpg', accessKeyId: 'AKBOB', userName: 'bob', userAgent: null }),
        auditRecord(t + 4, { link: 'q3', bucket: null, key: null, status: 0 }),
      ]);
      await links.appendAudit([]);
      const keys = async (query: Parameters<LinkStore['queryAudit']>[0]) => (await links.queryAudit(query)).records.map((r) => `${r.bucket}/${r.key}`);
      const since = new Date(t);
      assert.deepEqual(await keys({ since, limit: 10 }), ['photos/a.jpg', 'photos/b.jpg', 'docs/a.jpg', 'null/null']);
      assert.deepEqual(await keys({ since, bucket: 'photos', limit: 10 }), ['photos/a.jpg', 'photos/b.jpg']);
      assert.deepEqual(await keys({ since, key: 'a.jpg', limit: 10 }), ['photos/a.jpg', 'docs/a.jpg']);
      assert.deepEqual(await keys({ since, signer: 'bob', limit: 10 }), ['docs/a.jpg']);
      assert.deepEqual(await keys({ since, signer: 'AKALICE', limit: 10 }), ['photos/a.jpg', 'photos/b.jpg']);
      assert.deepEqual(await keys({ since, link: 'q2', limit: 10 }), ['docs/a.jpg']);
      assert.deepEqual(await keys({ since: new Date(t + 2), limit: 10 }), ['photos/b.jpg', 'docs/a.jpg', 'null/null']);
      const page = await links.queryAudit({ since, limit: 2 });
      assert.equal(page.truncated, true);
      assert.deepEqual(page.records.map((r) => r.link), ['q2', 'q3']);
      const [bob] = (await links.queryAudit({ since, link: 'q2', limit: 1 })).records;
      assert.deepEqual(bob, auditRecord(t + 3, { link: 'q2', bucket: 'docs', key: 'a.jpg', accessKeyId: 'AKBOB', userName: 'bob', userAgent: null }));
      const usage = await links.linkUsage('q1');
      assert.equal(usage.logged, 1, 'only successes count as uses');
      assert.equal(usage.lastUsedAt?.getTime(), t + 1);
    });

    it('tells whether a bucket exists', async () => {
      assert.equal(await links.bucketExists('b'), false);
      await fixture.store.createBucket({ name: 'b', owner: 'root' });
      assert.equal(await links.bucketExists('b'), true);
    });
  });
}
