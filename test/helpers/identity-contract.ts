import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { IdentityStore } from '../../src/storage/identity-store.js';
import type { MetadataStore } from '../../src/storage/metadata-store.js';
import type { StoreFactory, StoreFixture } from './store-fixtures.js';

const secret = (n: number) => Buffer.alloc(48, n);

/** The behaviour every IdentityStore backend must share. */
export function identityStoreContract(name: string, factory: StoreFactory, options: { skip?: string } = {}): void {
  describe(`IdentityStore contract: ${name}`, options, () => {
    let fixture: StoreFixture;
    let metadata: MetadataStore;
    let ids: IdentityStore;
    beforeEach(async () => {
      fixture = await factory();
      metadata = fixture.store;
      ids = metadata.identities;
    });
    afterEach(() => fixture.cleanup());

    it('creates, lists (by name), disables and deletes users', async () => {
      assert.equal(await ids.createUser('zed'), 'created');
      assert.equal(await ids.createUser('amy'), 'created');
      assert.equal(await ids.createUser('amy'), 'exists');
      assert.deepEqual((await ids.listUsers()).map((u) => [u.name, u.status]), [['amy', 'active'], ['zed', 'active']]);
      assert.equal(await ids.setUserStatus('amy', 'disabled'), true);
      assert.equal(await ids.setUserStatus('nobody', 'disabled'), false);
      assert.equal((await ids.getUser('amy'))?.status, 'disabled');
      assert.equal(await ids.getUser('nobody'), null);
      assert.equal(await ids.deleteUser('amy'), true);
      assert.equal(await ids.deleteUser('amy'), false);
      assert.deepEqual((await ids.listUsers()).map((u) => u.name), ['zed']);
    });

    it('keeps at most maxPerUser keys per user, and refuses a key for a missing user', async () => {
      await ids.createUser('amy');
      assert.equal(await ids.createAccessKey({ accessKeyId: 'AK1', userName: 'amy', sealedSecret: secret(1) }, 2), 'created');
      assert.equal(await ids.createAccessKey({ accessKeyId: 'AK2', userName: 'amy', sealedSecret: secret(2) }, 2), 'created');
      assert.equal(await ids.createAccessKey({ accessKeyId: 'AK3', userName: 'amy', sealedSecret: secret(3) }, 2), 'limit-reached');
      assert.equal(await ids.createAccessKey({ accessKeyId: 'AK4', userName: 'nobody', sealedSecret: secret(4) }, 2), 'no-such-user');
      assert.equal(await ids.getAccessKey('AK3'), null);
      const key = await ids.getAccessKey('AK1');
      assert.equal(key?.userName, 'amy');
      assert.equal(key?.status, 'active');
      assert.equal(key?.lastUsedAt, null);
      assert.deepEqual(key?.sealedSecret, secret(1));
      assert.deepEqual((await ids.listAccessKeys('amy')).map((k) => k.accessKeyId).sort(), ['AK1', 'AK2']);
      assert.deepEqual(await ids.listAccessKeys('nobody'), []);
    });

    it('disables, re-enables and deletes keys; a deleted user takes its keys and sessions along', async () => {
      await ids.createUser('amy');
      await ids.createAccessKey({ accessKeyId: 'AK1', userName: 'amy', sealedSecret: secret(1) }, 2);
      assert.equal(await ids.setAccessKeyStatus('AK1', 'inactive'), true);
      assert.equal((await ids.getAccessKey('AK1'))?.status, 'inactive');
      assert.equal(await ids.setAccessKeyStatus('AK1', 'active'), true);
      assert.equal(await ids.setAccessKeyStatus('AKX', 'active'), false);
      const now = Date.now();
      await ids.createSession({
        accessKeyId: 'ASIA1', principal: 'amy', sealedSecret: secret(9), tokenHash: 'h', sessionPolicy: null,
        createdAt: new Date(now), expiresAt: new Date(now + 60_000),
      });
      await ids.deleteUser('amy');
      assert.equal(await ids.getAccessKey('AK1'), null);
      assert.equal(await ids.getSession('ASIA1'), null);
      assert.equal(await ids.deleteAccessKey('AK1'), false);
    });

    it('records last use, keeping the latest time', async () => {
      await ids.createUser('amy');
      await ids.createAccessKey({ accessKeyId: 'AK1', userName: 'amy', sealedSecret: secret(1) }, 2);
      await ids.recordKeyUse(new Map([['AK1', new Date(2_000_000)], ['AKMISSING', new Date(1)]]));
      await ids.recordKeyUse(new Map([['AK1', new Date(1_000_000)]]));
      assert.equal((await ids.getAccessKey('AK1'))?.lastUsedAt?.getTime(), 2_000_000);
      await ids.recordKeyUse(new Map());
    });

    it('keeps policies, their attachments, and refuses to delete an attached one', async () => {
      await ids.createUser('amy');
      assert.equal(await ids.putPolicy('read', '{"v":1}'), 'created');
      assert.equal(await ids.putPolicy('read', '{"v":2}'), 'updated');
      assert.equal(await ids.putPolicy('admin', '{"a":1}'), 'created');
      assert.equal(await ids.attachPolicy('amy', 'read'), 'attached');
      assert.equal(await ids.attachPolicy('amy', 'read'), 'attached');
      assert.equal(await ids.attachPolicy('amy', 'admin'), 'attached');
      assert.equal(await ids.attachPolicy('nobody', 'read'), 'no-such-user');
      assert.equal(await ids.attachPolicy('amy', 'missing'), 'no-such-policy');
      assert.deepEqual((await ids.getUser('amy'))?.policies, ['admin', 'read']);
      assert.deepEqual((await ids.getPolicy('read'))?.attachedTo, ['amy']);
      assert.equal((await ids.getPolicy('read'))?.document, '{"v":2}');
      assert.deepEqual(await ids.userPolicyDocuments('amy'), ['{"a":1}', '{"v":2}']);
      assert.equal(await ids.deletePolicy('read'), 'attached');
      assert.equal(await ids.detachPolicy('amy', 'read'), true);
      assert.equal(await ids.detachPolicy('amy', 'read'), false);
      assert.equal(await ids.deletePolicy('read'), 'deleted');
      assert.equal(await ids.deletePolicy('read'), 'no-such-policy');
      assert.deepEqual((await ids.listPolicies()).map((p) => p.name), ['admin']);
      assert.deepEqual(await ids.userPolicyDocuments('amy'), ['{"a":1}']);
    });

    it('reads a key in use with its user\'s status and policy documents at once, as they are now', async () => {
      assert.equal(await ids.getKeyInUse('AK1'), null);
      await ids.createUser('amy');
      await ids.createAccessKey({ accessKeyId: 'AK1', userName: 'amy', sealedSecret: secret(1) }, 2);
      const bare = await ids.getKeyInUse('AK1');
      assert.deepEqual(bare?.key, await ids.getAccessKey('AK1'));
      assert.equal(bare?.userStatus, 'active');
      assert.deepEqual(bare?.policyDocuments, []);
      await ids.putPolicy('read', '{"v":1}');
      await ids.putPolicy('admin', '{"a":"\\"quoted\\""}');
      await ids.attachPolicy('amy', 'read');
      await ids.attachPolicy('amy', 'admin');
      assert.deepEqual((await ids.getKeyInUse('AK1'))?.policyDocuments, await ids.userPolicyDocuments('amy'));
      assert.deepEqual((await ids.getKeyInUse('AK1'))?.policyDocuments, ['{"a":"\\"quoted\\""}', '{"v":1}']);
      await ids.putPolicy('read', '{"v":2}');
      await ids.detachPolicy('amy', 'admin');
      assert.deepEqual((await ids.getKeyInUse('AK1'))?.policyDocuments, ['{"v":2}']);
      await ids.setAccessKeyStatus('AK1', 'inactive');
      await ids.setUserStatus('amy', 'disabled');
      const off = await ids.getKeyInUse('AK1');
      assert.equal(off?.key.status, 'inactive');
      assert.equal(off?.userStatus, 'disabled');
      await ids.deleteUser('amy');
      assert.equal(await ids.getKeyInUse('AK1'), null);
    });

    it('keeps bucket policies and CORS with their bucket, and drops them with it', async () => {
      assert.equal(await ids.putBucketPolicy('b', '{}'), false);
      assert.equal(await ids.putBucketCors('b', '[]'), false);
      await metadata.createBucket({ name: 'b', owner: 'root' });
      assert.equal(await ids.getBucketPolicy('b'), null);
      assert.equal(await ids.putBucketPolicy('b', '{"p":1}'), true);
      assert.equal(await ids.putBucketPolicy('b', '{"p":2}'), true);
      assert.equal(await ids.getBucketPolicy('b'), '{"p":2}');
      assert.equal(await ids.putBucketCors('b', '[1]'), true);
      assert.equal(await ids.getBucketCors('b'), '[1]');
      assert.equal(await ids.deleteBucketCors('b'), true);
      assert.equal(await ids.deleteBucketCors('b'), false);
      assert.equal(await ids.getBucketCors('b'), null);
      await ids.putBucketCors('b', '[2]');
      assert.deepEqual(await metadata.deleteBucket('b'), { kind: 'deleted' });
      assert.equal(await ids.getBucketPolicy('b'), null);
      assert.equal(await ids.getBucketCors('b'), null);
      await metadata.createBucket({ name: 'b', owner: 'root' });
      assert.equal(await ids.getBucketPolicy('b'), null, 'a new bucket of the same name starts without the old policy');
      assert.equal(await ids.deleteBucketPolicy('b'), false);
    });

    it('keeps a bucket\'s public access block with the bucket, replaced whole, and drops it with the bucket', async () => {
      const all = { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true };
      assert.equal(await ids.putPublicAccessBlock('b', all), false);
      await metadata.createBucket({ name: 'b', owner: 'root' });
      assert.equal(await ids.getPublicAccessBlock('b'), null);
      assert.equal(await ids.deletePublicAccessBlock('b'), false);
      assert.equal(await ids.putPublicAccessBlock('b', all), true);
      assert.deepEqual(await ids.getPublicAccessBlock('b'), all);
      const some = { blockPublicAcls: false, ignorePublicAcls: true, blockPublicPolicy: false, restrictPublicBuckets: true };
      assert.equal(await ids.putPublicAccessBlock('b', some), true);
      assert.deepEqual(await ids.getPublicAccessBlock('b'), some);
      assert.equal(await ids.deletePublicAccessBlock('b'), true);
      assert.equal(await ids.getPublicAccessBlock('b'), null);
      await ids.putPublicAccessBlock('b', all);
      assert.deepEqual(await metadata.deleteBucket('b'), { kind: 'deleted' });
      assert.equal(await ids.getPublicAccessBlock('b'), null);
      await metadata.createBucket({ name: 'b', owner: 'root' });
      assert.equal(await ids.getPublicAccessBlock('b'), null, 'a new bucket of the same name starts without the old settings');
    });

    it('keeps sessions until they end or expire', async () => {
      const now = Date.now();
      const session = (id: string, expiresAt: number) => ({
        accessKeyId: id, principal: 'root', sealedSecret: secret(7), tokenHash: `hash-${id}`, sessionPolicy: id === 'S1' ? '{"s":1}' : null,
        createdAt: new Date(now), expiresAt: new Date(expiresAt),
      });
      await ids.createSession(session('S1', now + 60_000));
      await ids.createSession(session('S2', now - 1));
      assert.deepEqual(await ids.getSession('S1'), session('S1', now + 60_000));
      assert.equal(await ids.deleteExpiredSessions(new Date(now)), 1);
      assert.equal(await ids.getSession('S2'), null);
      assert.equal(await ids.deleteSession('S1'), true);
      assert.equal(await ids.deleteSession('S1'), false);
    });

    it('keeps settings as bytes', async () => {
      assert.equal(await ids.getSetting('x'), null);
      await ids.putSetting('x', Buffer.from([0, 1, 255]));
      await ids.putSetting('x', Buffer.from([2, 3]));
      assert.deepEqual(await ids.getSetting('x'), Buffer.from([2, 3]));
    });
  });
}
