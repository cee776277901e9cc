import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ConsoleStore, IssuedLink } from '../../src/storage/console-store.js';
import type { StoreFactory, StoreFixture } from './store-fixtures.js';

const MINUTE = 60_000;

export function issuedLink(id: string, fields: Partial<IssuedLink> = {}): IssuedLink {
  return {
    id, kind: 'download', bucket: 'b', key: 'photos/cat.jpg', issuer: 'alice', accessKeyId: 'AKALICE', linkId: `hash-${id}`,
    createdAt: '2026-01-02T03:04:05.006Z', expiresAt: '2026-01-02T15:04:05.006Z', ...fields,
  };
}

/** The behaviour every ConsoleStore backend must share. */
export function consoleStoreContract(name: string, factory: StoreFactory, options: { skip?: string } = {}): void {
  describe(`ConsoleStore contract: ${name}`, options, () => {
    let fixture: StoreFixture;
    let store: ConsoleStore;
    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store.console;
    });
    afterEach(() => fixture.cleanup());

    it('counts sign-in failures per address and key, newest first, within the window and up to the limit', async () => {
      const t0 = Date.parse('2026-01-02T03:00:00Z');
      const forget = new Date(t0 - 60 * MINUTE);
      for (let i = 0; i < 7; i++) await store.recordSignInFailure('10.0.0.1', 'AK1', new Date(t0 + i * MINUTE), forget);
      await store.recordSignInFailure('10.0.0.2', 'AK1', new Date(t0), forget);
      await store.recordSignInFailure('10.0.0.1', 'AK2', new Date(t0), forget);
      const five = await store.signInFailures('10.0.0.1', 'AK1', new Date(t0), 5);
      assert.deepEqual(five.map((d) => (d.getTime() - t0) / MINUTE), [6, 5, 4, 3, 2]);
      const since = await store.signInFailures('10.0.0.1', 'AK1', new Date(t0 + 5 * MINUTE), 5);
      assert.deepEqual(since.map((d) => (d.getTime() - t0) / MINUTE), [6, 5], 'only failures at or after `since`');
      assert.equal((await store.signInFailures('10.0.0.2', 'AK1', new Date(0), 5)).length, 1, 'another address counts apart');
      assert.equal((await store.signInFailures('10.0.0.1', 'AK2', new Date(0), 5)).length, 1, 'another key counts apart');
      assert.deepEqual(await store.signInFailures('10.0.0.3', 'AK1', new Date(0), 5), []);
    });

    it('forgets every failure older than the window when it records one', async () => {
      const t0 = Date.parse('2026-01-02T03:00:00Z');
      await store.recordSignInFailure('10.0.0.1', 'AK1', new Date(t0), new Date(0));
      await store.recordSignInFailure('10.0.0.9', 'AK9', new Date(t0 + MINUTE), new Date(0));
      await store.recordSignInFailure('10.0.0.2', 'AK2', new Date(t0 + 20 * MINUTE), new Date(t0 + 30 * 1000));
      assert.deepEqual(await store.signInFailures('10.0.0.1', 'AK1', new Date(0), 5), [], 'an old failure of another pair is gone');
      assert.equal((await store.signInFailures('10.0.0.9', 'AK9', new Date(0), 5)).length, 1);
      assert.equal((await store.signInFailures('10.0.0.2', 'AK2', new Date(0), 5)).length, 1);
    });

    it('records issued links with every field, lists them newest first per issuer, and keeps the first revocation', async () => {
      const full = issuedLink('full', {
        kind: 'upload-prefix', key: 'inbox/', createdAt: '2026-01-02T05:00:00.000Z', maxUses: 3, downloadName: 'ünïcode "name".txt',
        contentType: 'image/png', maxSize: 5 * 1024 ** 3,
      });
      const bare = issuedLink('bare', { createdAt: '2026-01-02T04:00:00.000Z' });
      const bob = issuedLink('bobs', { issuer: 'bob', createdAt: '2026-01-02T06:00:00.000Z' });
      for (const link of [bare, full, bob]) await store.addIssuedLink(link);
      assert.deepEqual(await store.getIssuedLink('full'), full);
      assert.deepEqual(await store.getIssuedLink('bare'), bare, 'absent optional fields stay absent');
      assert.equal(await store.getIssuedLink('nope'), null);
      assert.deepEqual((await store.listIssuedLinks(undefined)).map((l) => l.id), ['bobs', 'full', 'bare']);
      assert.deepEqual((await store.listIssuedLinks('alice')).map((l) => l.id), ['full', 'bare']);
      assert.deepEqual(await store.listIssuedLinks('carol'), []);

      await store.addIssuedLink({ ...bare, key: 'changed' });
      assert.deepEqual(await store.getIssuedLink('bare'), bare, 'adding an id again changes nothing');

      const first = new Date('2026-01-02T07:00:00.000Z');
      assert.deepEqual(await store.markIssuedLinkRevoked('bare', first), { ...bare, revokedAt: first.toISOString() });
      assert.deepEqual(await store.markIssuedLinkRevoked('bare', new Date('2026-01-02T08:00:00.000Z')), { ...bare, revokedAt: first.toISOString() });
      assert.equal((await store.getIssuedLink('bare'))?.revokedAt, first.toISOString());
      assert.equal(await store.markIssuedLinkRevoked('nope', first), null);
      assert.equal((await store.getIssuedLink('full'))?.revokedAt, undefined, 'the others are untouched');
    });
  });
}
