import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { MetadataStore } from '../../src/storage/metadata-store.js';
import { issuedLink } from './console-contract.js';
import { newBlobId, row } from './metadata-contract.js';
import type { StoreFactory, StoreFixture } from './store-fixtures.js';
import { part, startUpload } from './upload-contract.js';

/**
 * Two store instances on one database, as two nodes have them: every write
 * through one is what the other reads on its very next call, and concurrent
 * writers through both never lose a change nor a freed blob. A cache that
 * assumes "this instance is the only writer" fails here.
 */
export function sharedDatabaseContract(name: string, factory: StoreFactory, options: { skip?: string } = {}): void {
  describe(`Two store instances on one database: ${name}`, options, () => {
    let fixture: StoreFixture;
    let a: MetadataStore;
    let b: MetadataStore;
    beforeEach(async () => {
      fixture = await factory();
      a = fixture.store;
      if (fixture.second === undefined) throw new Error('this backend has no second instance');
      b = fixture.second;
    });
    afterEach(() => fixture.cleanup());

    it('buckets and objects written through one are read through the other at once', async () => {
      assert.equal(await b.getBucket('x'), null);
      await a.createBucket({ name: 'x', owner: 'root' });
      assert.equal((await b.getBucket('x'))?.name, 'x');
      assert.deepEqual(await b.getObject('x', 'k'), { kind: 'no-such-key' });
      const v1 = row('x', 'k', { inlineBytes: Buffer.from('one') });
      await a.putObject(v1);
      const seen = await b.getObject('x', 'k');
      assert.equal(seen.kind === 'found' && seen.object.blobId, v1.blobId);
      assert.deepEqual(await b.readInlineBlob(v1.blobId), Buffer.from('one'));
      const v2 = row('x', 'k');
      await b.putObject(v2);
      const again = await a.getObject('x', 'k');
      assert.equal(again.kind === 'found' && again.object.blobId, v2.blobId);
      assert.equal(await a.readInlineBlob(v1.blobId), null);
      await a.deleteObject('x', 'k');
      assert.deepEqual(await b.getObject('x', 'k'), { kind: 'no-such-key' });
      assert.deepEqual(await b.deleteBucket('x'), { kind: 'deleted' });
      assert.equal(await a.getBucket('x'), null);
      assert.deepEqual(await a.putObject(row('x', 'k')), { kind: 'no-such-bucket' });
      const listed = await b.listObjects({ bucket: 'x', maxKeys: 10 });
      assert.deepEqual(listed, { kind: 'no-such-bucket' });
    });

    it('tags written through one are read through the other at once', async () => {
      await a.createBucket({ name: 'x', owner: 'root' });
      await a.putObject(row('x', 'k', { tags: { v: '1' } }));
      const first = await b.getObject('x', 'k');
      assert.deepEqual(first.kind === 'found' && first.object.tags, { v: '1' });
      assert.deepEqual(await b.putObjectTags('x', 'k', { v: '2' }), { kind: 'updated' });
      const second = await a.getObject('x', 'k');
      assert.deepEqual(second.kind === 'found' && second.object.tags, { v: '2' });
      await a.putBucketTags('x', { team: 'a' });
      assert.deepEqual(await b.getBucketTags('x'), { team: 'a' });
      assert.equal(await b.deleteBucketTags('x'), true);
      assert.equal(await a.getBucketTags('x'), null);
    });

    it('concurrent writers of one key through both lose no freed blob and leave exactly one version', async () => {
      await a.createBucket({ name: 'x', owner: 'root' });
      const rows = Array.from({ length: 40 }, (_, i) => row('x', 'hot', i % 3 === 0 ? { inlineBytes: Buffer.from(`v${i}`) } : {}));
      const results = await Promise.all(rows.map((r, i) => (i % 2 === 0 ? a : b).putObject(r)));
      const final = await a.getObject('x', 'hot');
      assert.equal(final.kind, 'found');
      const freed = results.flatMap((r) => (r.kind === 'stored' && r.replacedBlobId !== null ? [r.replacedBlobId] : []));
      const files = rows.filter((r) => r.inlineBytes === undefined).map((r) => r.blobId);
      // Every file-backed version but the current one is reported freed, exactly once.
      const expected = files.filter((id) => id !== final.object.blobId).sort();
      assert.deepEqual([...freed].sort(), expected);
      assert.deepEqual(await b.referencedBlobIds(rows.map((r) => r.blobId)), new Set([final.object.blobId]));
    });

    it('versions written through one are listed, read and deleted through the other; concurrent versioned writers lose none', async () => {
      await a.createBucket({ name: 'v', owner: 'root' });
      assert.equal(await a.setVersioning('v', 'Enabled'), 'set');
      assert.equal(await b.getVersioning('v'), 'Enabled');
      const rows = Array.from({ length: 20 }, (_, i) => row('v', 'hot', i % 3 === 0 ? { inlineBytes: Buffer.from(`v${i}`) } : {}));
      const results = await Promise.all(rows.map((r, i) => (i % 2 === 0 ? a : b).putObject(r)));
      const versionIds = results.map((r) => (r.kind === 'stored' ? r.object.versionId : undefined));
      assert.equal(new Set(versionIds).size, 20);
      assert.ok(results.every((r) => r.kind === 'stored' && r.replacedBlobId === null));
      const listed = await b.listObjectVersions({ bucket: 'v', maxKeys: 1000 });
      assert.equal(listed.kind === 'listed' && listed.versions.length, 20);
      assert.deepEqual(listed.kind === 'listed' && new Set(listed.versions.map((v) => v.versionId)), new Set(versionIds));
      const latest = listed.kind === 'listed' ? listed.versions[0] : undefined;
      const current = await a.getObject('v', 'hot');
      assert.equal(current.kind === 'found' && current.object.versionId, latest?.versionId);
      const marker = await b.deleteObject('v', 'hot');
      assert.equal(marker.kind, 'marked');
      const hidden = await a.getObject('v', 'hot');
      assert.equal(hidden.kind === 'no-such-key' && hidden.deleteMarker?.versionId, marker.kind === 'marked' ? marker.versionId : 'none');
      const oldest = versionIds[0] ?? null;
      assert.equal((await a.deleteObjectVersion('v', 'hot', oldest)).kind, 'deleted');
      assert.deepEqual(await b.getObjectVersion('v', 'hot', oldest), { kind: 'no-such-version' });
      assert.deepEqual(await b.referencedBlobIds([rows[0]?.blobId ?? '', rows[1]?.blobId ?? '']), new Set([rows[1]?.blobId]));
    });

    it('a key in use read through one shows the changes made through the other', async () => {
      await a.identities.createUser('amy');
      await a.identities.createAccessKey({ accessKeyId: 'AK1', userName: 'amy', sealedSecret: Buffer.alloc(8) }, 2);
      await a.identities.putPolicy('p', '{"v":1}');
      await a.identities.attachPolicy('amy', 'p');
      assert.deepEqual((await b.identities.getKeyInUse('AK1'))?.policyDocuments, ['{"v":1}']);
      await a.identities.putPolicy('p', '{"v":2}');
      assert.deepEqual((await b.identities.getKeyInUse('AK1'))?.policyDocuments, ['{"v":2}']);
      await a.identities.setUserStatus('amy', 'disabled');
      assert.equal((await b.identities.getKeyInUse('AK1'))?.userStatus, 'disabled');
      await a.identities.setAccessKeyStatus('AK1', 'inactive');
      assert.equal((await b.identities.getKeyInUse('AK1'))?.key.status, 'inactive');
      await a.identities.deleteAccessKey('AK1');
      assert.equal(await b.identities.getKeyInUse('AK1'), null);
    });

    it('identity and policy changes through one hold through the other on the next call', async () => {
      await a.identities.createUser('amy');
      await a.identities.createAccessKey({ accessKeyId: 'AK1', userName: 'amy', sealedSecret: Buffer.alloc(8) }, 2);
      assert.equal((await b.identities.getAccessKey('AK1'))?.status, 'active');
      await a.identities.setAccessKeyStatus('AK1', 'inactive');
      assert.equal((await b.identities.getAccessKey('AK1'))?.status, 'inactive');
      await b.identities.setUserStatus('amy', 'disabled');
      assert.equal((await a.identities.getUser('amy'))?.status, 'disabled');
      await a.identities.putPolicy('p', '{"v":1}');
      await b.identities.attachPolicy('amy', 'p');
      assert.deepEqual(await a.identities.userPolicyDocuments('amy'), ['{"v":1}']);
      await a.identities.putPolicy('p', '{"v":2}');
      assert.deepEqual(await b.identities.userPolicyDocuments('amy'), ['{"v":2}']);
      await a.createBucket({ name: 'x', owner: 'root' });
      assert.equal(await b.identities.getBucketPolicy('x'), null);
      await a.identities.putBucketPolicy('x', '{"bp":1}');
      assert.equal(await b.identities.getBucketPolicy('x'), '{"bp":1}');
      await b.identities.deleteBucketPolicy('x');
      assert.equal(await a.identities.getBucketPolicy('x'), null);
      const restrict = { blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: false, restrictPublicBuckets: true };
      await a.identities.putPublicAccessBlock('x', restrict);
      assert.deepEqual(await b.identities.getPublicAccessBlock('x'), restrict);
      await b.identities.deletePublicAccessBlock('x');
      assert.equal(await a.identities.getPublicAccessBlock('x'), null);
      await a.identities.deleteAccessKey('AK1');
      assert.equal(await b.identities.getAccessKey('AK1'), null);
      // Two instances racing for a user's last key slot: the limit holds.
      const raced = await Promise.all([
        a.identities.createAccessKey({ accessKeyId: 'AK2', userName: 'amy', sealedSecret: Buffer.alloc(8) }, 1),
        b.identities.createAccessKey({ accessKeyId: 'AK3', userName: 'amy', sealedSecret: Buffer.alloc(8) }, 1),
      ]);
      assert.deepEqual(raced.sort(), ['created', 'limit-reached']);
    });

    it('link uses are exact and revocations hold across instances', async () => {
      const expires = new Date(Date.now() + 3_600_000);
      const got = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).links.reserveUse('L', 7, expires)));
      assert.equal(got.filter(Boolean).length, 7);
      await a.links.refundUse('L');
      assert.deepEqual((await b.links.linkUsage('L')).counted, { uses: 6, maxUses: 7 });
      const now = Date.now();
      const check = { link: 'sig', accessKeyId: 'AK', bucket: 'x', signedAt: now - 10, now: new Date(now) };
      assert.equal(await b.links.revokedBy(check), null);
      await a.links.revoke({ kind: 'bucket', subject: 'x', before: new Date(now), expiresAt: expires });
      assert.equal(await b.links.revokedBy(check), 'bucket');
    });

    it('console sign-in failures count through both, and a link issued through one is listed and revoked through the other', async () => {
      const now = Date.now();
      const forget = new Date(now - 900_000);
      await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a : b).console.recordSignInFailure('10.0.0.1', 'AK1', new Date(now - i), forget)));
      assert.equal((await a.console.signInFailures('10.0.0.1', 'AK1', forget, 10)).length, 6);
      assert.equal((await b.console.signInFailures('10.0.0.1', 'AK1', forget, 5)).length, 5);
      const link = issuedLink('shared');
      await a.console.addIssuedLink(link);
      assert.deepEqual(await b.console.listIssuedLinks('alice'), [link]);
      const [first, second] = await Promise.all([
        b.console.markIssuedLinkRevoked('shared', new Date(now)),
        a.console.markIssuedLinkRevoked('shared', new Date(now + 1000)),
      ]);
      assert.equal(first?.revokedAt, second?.revokedAt, 'two nodes revoking at once agree on one time');
      assert.equal((await a.console.getIssuedLink('shared'))?.revokedAt, first?.revokedAt);
    });

    it('a claimed name is held against the other instance until released; exclusive work runs on one instance at a time', async () => {
      const release = await a.claim('job');
      assert.ok(release);
      assert.equal(await b.claim('job'), undefined);
      assert.equal(await b.exclusive('job', () => Promise.resolve('ran')), undefined);
      await release();
      assert.equal(await b.exclusive('job', () => Promise.resolve('ran')), 'ran');
      const again = await b.claim('job');
      assert.ok(again);
      await again();
    });

    it('a multipart upload takes parts through both and completes through either', async () => {
      await a.createBucket({ name: 'b', owner: 'root' });
      await startUpload(a.uploads, 'k', 'u1');
      const p1 = part(1);
      const p2 = part(2);
      await a.uploads.putPart({ bucket: 'b', key: 'k', uploadId: 'u1', part: p1 });
      await b.uploads.putPart({ bucket: 'b', key: 'k', uploadId: 'u1', part: p2 });
      const listed = await a.uploads.listParts({ bucket: 'b', key: 'k', uploadId: 'u1', after: 0, maxParts: 10 });
      assert.deepEqual(listed.kind === 'listed' && listed.parts.map((p) => p.blobId), [p1.blobId, p2.blobId]);
      const done = await b.uploads.completeUpload({ bucket: 'b', key: 'k', uploadId: 'u1', parts: [p1, p2], size: 10, etag: 'x-2', checksums: {} });
      assert.equal(done.kind, 'completed');
      const got = await a.getObject('b', 'k');
      assert.deepEqual(got.kind === 'found' && got.object.parts?.map((p) => p.blobId), [p1.blobId, p2.blobId]);
      // A part arriving after completion through the other instance is refused, never attached to nothing.
      assert.deepEqual(await a.uploads.putPart({ bucket: 'b', key: 'k', uploadId: 'u1', part: part(3, newBlobId()) }), { kind: 'no-such-upload' });
      // The other instance remembers the completion, so a retry sent to it answers as the first did.
      assert.deepEqual(await a.uploads.getCompletedUpload('b', 'k', 'u1'), {
        etag: 'x-2', blobId: p1.blobId, checksumType: 'COMPOSITE', completedAt: got.kind === 'found' ? got.object.lastModified : undefined,
      });
      await b.uploads.expireUploads(new Date(Date.now() + 60_000), 10);
      assert.equal(await a.uploads.getCompletedUpload('b', 'k', 'u1'), null);
    });
  });
}
