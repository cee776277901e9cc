import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { MetadataStore, PutObjectRow } from '../../src/storage/metadata-store.js';
import { listingContract } from './metadata-contract-listing.js';
import { versionsContract } from './metadata-contract-versions.js';

export interface MetadataStoreFixture {
  readonly store: MetadataStore;
  cleanup(): Promise<void>;
}

export type MetadataStoreFactory = () => Promise<MetadataStoreFixture>;

export function newBlobId(): string {
  return randomBytes(16).toString('hex');
}

export function row(bucket: string, key: string, extra: Partial<PutObjectRow> = {}): PutObjectRow {
  return { bucket, key, size: 3, etag: 'acbd18db4cc2f85cedef654fccc4a4d8', blobId: newBlobId(), ...extra };
}

/**
 * The behaviour every MetadataStore backend must share. Each test gets a
 * fresh, empty store from `factory`; a PostgreSQL backend runs this same
 * suite by passing its own factory.
 */
export function metadataStoreContract(name: string, factory: MetadataStoreFactory, options: { skip?: string } = {}): void {
  describe(`MetadataStore contract: ${name}`, options, () => {
    let fixture: MetadataStoreFixture;
    let store: MetadataStore;
    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('buckets', () => {
      it('creates a bucket and reports it', async () => {
        const before = Date.now();
        const result = await store.createBucket({ name: 'photos', owner: 'alice', region: 'eu-west-1' });
        assert.equal(result.kind, 'created');
        assert.equal(result.bucket.name, 'photos');
        assert.equal(result.bucket.owner, 'alice');
        assert.equal(result.bucket.region, 'eu-west-1');
        assert.ok(result.bucket.createdAt.getTime() >= before - 1 && result.bucket.createdAt.getTime() <= Date.now() + 1);
        assert.deepEqual(await store.getBucket('photos'), result.bucket);
      });

      it('defaults the region to null', async () => {
        const result = await store.createBucket({ name: 'plain', owner: 'alice' });
        assert.equal(result.bucket.region, null);
      });

      it('answers "exists, owned by you" to the owner and "exists" to anyone else, changing nothing', async () => {
        const first = await store.createBucket({ name: 'photos', owner: 'alice', region: 'eu-west-1' });
        const again = await store.createBucket({ name: 'photos', owner: 'alice', region: 'us-east-1' });
        assert.deepEqual(again, { kind: 'exists', bucket: first.bucket, ownedByCaller: true });
        const other = await store.createBucket({ name: 'photos', owner: 'bob' });
        assert.deepEqual(other, { kind: 'exists', bucket: first.bucket, ownedByCaller: false });
        assert.deepEqual(await store.getBucket('photos'), first.bucket);
      });

      it('returns null for a missing bucket', async () => {
        assert.equal(await store.getBucket('nope'), null);
      });

      it('lists buckets by name, optionally only an owner\'s', async () => {
        for (const [name, owner] of [['zeta', 'alice'], ['alpha', 'bob'], ['mid', 'alice']] as const) {
          await store.createBucket({ name, owner });
        }
        assert.deepEqual((await store.listBuckets()).map((b) => b.name), ['alpha', 'mid', 'zeta']);
        assert.deepEqual((await store.listBuckets('alice')).map((b) => b.name), ['mid', 'zeta']);
        assert.deepEqual(await store.listBuckets('carol'), []);
      });

      it('deletes only an empty bucket', async () => {
        assert.deepEqual(await store.deleteBucket('photos'), { kind: 'no-such-bucket' });
        await store.createBucket({ name: 'photos', owner: 'alice' });
        await store.putObject(row('photos', 'a.jpg'));
        assert.deepEqual(await store.deleteBucket('photos'), { kind: 'not-empty' });
        assert.notEqual(await store.getBucket('photos'), null);
        await store.deleteObject('photos', 'a.jpg');
        assert.deepEqual(await store.deleteBucket('photos'), { kind: 'deleted' });
        assert.equal(await store.getBucket('photos'), null);
        assert.deepEqual(await store.deleteBucket('photos'), { kind: 'no-such-bucket' });
        assert.equal((await store.createBucket({ name: 'photos', owner: 'bob' })).kind, 'created');
      });
    });

    describe('tags', () => {
      beforeEach(async () => {
        await store.createBucket({ name: 'b', owner: 'alice' });
      });

      it('replaces a version\'s tag set and nothing else of it', async () => {
        const put = row('b', 'k', { tags: { a: '1' }, userMetadata: { m: 'x' }, lastModified: new Date('2024-01-02T03:04:05.678Z') });
        await store.putObject(put);
        const before = await store.getObject('b', 'k'); // read once, so a remembered row must be dropped by the change
        assert.deepEqual(before.kind === 'found' && before.object.tags, { a: '1' });
        assert.deepEqual(await store.putObjectTags('b', 'k', { b: '2', 'c d': '' }), { kind: 'updated' });
        const got = await store.getObject('b', 'k');
        assert.equal(got.kind, 'found');
        assert.deepEqual(got.object, { ...(before.kind === 'found' ? before.object : {}), tags: { b: '2', 'c d': '' } });
        assert.deepEqual(await store.putObjectTags('b', 'k', {}), { kind: 'updated' });
        const cleared = await store.getObject('b', 'k');
        assert.deepEqual(cleared.kind === 'found' && cleared.object.tags, {});
      });

      it('tags the missing neither: no key, no bucket', async () => {
        assert.deepEqual(await store.putObjectTags('b', 'nope', { a: '1' }), { kind: 'no-such-key' });
        assert.deepEqual(await store.putObjectTags('missing', 'k', { a: '1' }), { kind: 'no-such-bucket' });
        assert.deepEqual(await store.getObject('b', 'nope'), { kind: 'no-such-key' });
      });

      it('belong to the version: a new put brings its own (or none), a deleted object takes them along', async () => {
        await store.putObject(row('b', 'k', { tags: { old: '1' } }));
        await store.putObject(row('b', 'k', { inlineBytes: Buffer.from('foo') }));
        const replaced = await store.getObject('b', 'k');
        assert.deepEqual(replaced.kind === 'found' && replaced.object.tags, {});
        await store.putObjectTags('b', 'k', { t: 'v' });
        await store.deleteObject('b', 'k');
        await store.putObject(row('b', 'k'));
        const fresh = await store.getObject('b', 'k');
        assert.deepEqual(fresh.kind === 'found' && fresh.object.tags, {});
      });

      it('keeps a bucket\'s tag set until it is replaced or deleted, and drops it with the bucket', async () => {
        assert.equal(await store.getBucketTags('b'), null);
        assert.equal(await store.deleteBucketTags('b'), false);
        assert.equal(await store.putBucketTags('b', { team: 'media', 'cost centre': '42' }), true);
        assert.deepEqual(await store.getBucketTags('b'), { team: 'media', 'cost centre': '42' });
        assert.equal(await store.putBucketTags('b', { team: 'web' }), true);
        assert.deepEqual(await store.getBucketTags('b'), { team: 'web' });
        assert.equal(await store.deleteBucketTags('b'), true);
        assert.equal(await store.getBucketTags('b'), null);
        assert.equal(await store.putBucketTags('missing', { a: '1' }), false);
        assert.equal(await store.getBucketTags('missing'), null);
        await store.putBucketTags('b', { team: 'web' });
        assert.deepEqual(await store.deleteBucket('b'), { kind: 'deleted' });
        await store.createBucket({ name: 'b', owner: 'alice' });
        assert.equal(await store.getBucketTags('b'), null);
      });
    });

    describe('objects', () => {
      beforeEach(async () => {
        await store.createBucket({ name: 'b', owner: 'alice' });
      });

      it('refuses a put into a missing bucket', async () => {
        assert.deepEqual(await store.putObject(row('missing', 'k')), { kind: 'no-such-bucket' });
      });

      it('round-trips every field', async () => {
        const lastModified = new Date('2024-05-06T07:08:09.123Z');
        const put = row('b', 'dir/file.txt', {
          size: 11, etag: '5eb63bbbe01eeed093cb22bb8f5acdc3', lastModified,
          contentType: 'text/plain; charset=utf-8', cacheControl: 'max-age=60', contentDisposition: 'attachment; filename="a b.txt"',
          contentEncoding: 'gzip', contentLanguage: 'de-CH', expires: 'Wed, 21 Oct 2015 07:28:00 GMT',
          userMetadata: { color: 'blue', 'ünï': 'välue ☃', empty: '' },
          checksums: { CRC32C: 'yZRlqg==', SHA256: 'uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=' },
          tags: { project: 'blue sky', 'ünï/κλειδί': 'välue ☃', empty: '' },
        });
        const stored = await store.putObject(put);
        assert.equal(stored.kind, 'stored');
        assert.equal(stored.replacedBlobId, null);
        const expected = {
          bucket: 'b', key: 'dir/file.txt', size: 11, etag: put.etag, blobId: put.blobId, lastModified,
          contentType: put.contentType, cacheControl: put.cacheControl, contentDisposition: put.contentDisposition,
          contentEncoding: put.contentEncoding, contentLanguage: put.contentLanguage, expires: put.expires,
          userMetadata: put.userMetadata, checksums: put.checksums, tags: put.tags,
        };
        assert.deepEqual(stored.object, expected);
        assert.deepEqual(await store.getObject('b', 'dir/file.txt'), { kind: 'found', object: expected });
      });

      it('stamps lastModified at commit when not given', async () => {
        const before = Date.now();
        const stored = await store.putObject(row('b', 'k'));
        assert.equal(stored.kind, 'stored');
        const got = await store.getObject('b', 'k');
        assert.equal(got.kind, 'found');
        assert.ok(got.object.lastModified.getTime() >= before && got.object.lastModified.getTime() <= Date.now());
        assert.deepEqual(got.object.lastModified, stored.object.lastModified);
        assert.deepEqual(got.object.userMetadata, {});
        assert.deepEqual(got.object.checksums, {});
        assert.deepEqual(got.object.tags, {});
        assert.equal(got.object.contentType, undefined);
      });

      it('replaces atomically, returning the previous blob and dropping the old version\'s metadata', async () => {
        const v1 = row('b', 'k', { contentType: 'image/png', userMetadata: { old: '1' }, checksums: { CRC32: 'AAAAAA==' } });
        await store.putObject(v1);
        const v2 = row('b', 'k', { size: 5, etag: 'ffffffffffffffffffffffffffffffff' });
        const replaced = await store.putObject(v2);
        assert.equal(replaced.kind, 'stored');
        assert.equal(replaced.replacedBlobId, v1.blobId);
        const got = await store.getObject('b', 'k');
        assert.equal(got.kind, 'found');
        assert.equal(got.object.blobId, v2.blobId);
        assert.equal(got.object.size, 5);
        assert.equal(got.object.contentType, undefined);
        assert.deepEqual(got.object.userMetadata, {});
        assert.deepEqual(got.object.checksums, {});
        assert.deepEqual([...await store.referencedBlobIds([v1.blobId, v2.blobId])], [v2.blobId]);
      });

      it('tells a missing key from a missing bucket', async () => {
        assert.deepEqual(await store.getObject('b', 'nope'), { kind: 'no-such-key' });
        assert.deepEqual(await store.getObject('missing', 'nope'), { kind: 'no-such-bucket' });
        assert.deepEqual(await store.deleteObject('b', 'nope'), { kind: 'no-such-key' });
        assert.deepEqual(await store.deleteObject('missing', 'nope'), { kind: 'no-such-bucket' });
      });

      it('deletes, returning the blob to remove', async () => {
        const put = row('b', 'k');
        await store.putObject(put);
        assert.deepEqual(await store.deleteObject('b', 'k'), { kind: 'deleted', blobId: put.blobId });
        assert.deepEqual(await store.getObject('b', 'k'), { kind: 'no-such-key' });
        assert.deepEqual(await store.deleteObject('b', 'k'), { kind: 'no-such-key' });
        assert.equal((await store.referencedBlobIds([put.blobId])).size, 0);
      });

      it('keeps an inline body with its row, and drops it with the version it belongs to', async () => {
        const small = row('b', 'k', { size: 3, inlineBytes: Buffer.from('foo') });
        assert.equal((await store.putObject(small)).kind, 'stored');
        const got = await store.getObject('b', 'k');
        assert.equal(got.kind === 'found' && got.object.inline, true);
        assert.deepEqual(await store.readInlineBlob(small.blobId), Buffer.from('foo'));
        // Replaced by another inline version: nothing for the caller to unlink, the old body is gone.
        const next = row('b', 'k', { size: 3, inlineBytes: Buffer.from('bar') });
        assert.deepEqual(await store.putObject(next).then((r) => r.kind === 'stored' && r.replacedBlobId), null);
        assert.equal(await store.readInlineBlob(small.blobId), null);
        // Replaced by a file-backed version, then that replaced by an inline one: the file's id is returned.
        const file = row('b', 'k');
        assert.deepEqual(await store.putObject(file).then((r) => r.kind === 'stored' && r.replacedBlobId), null);
        assert.equal(await store.readInlineBlob(next.blobId), null);
        const got2 = await store.getObject('b', 'k');
        assert.equal(got2.kind === 'found' && got2.object.inline, undefined);
        const last = row('b', 'k', { size: 1, inlineBytes: Buffer.from('z') });
        assert.deepEqual(await store.putObject(last).then((r) => r.kind === 'stored' && r.replacedBlobId), file.blobId);
        // Deleted: no file to remove, and the body goes with the row.
        assert.deepEqual(await store.deleteObject('b', 'k'), { kind: 'deleted', blobId: null });
        assert.equal(await store.readInlineBlob(last.blobId), null);
      });

      it('stores nothing, not even the inline body, when the bucket is missing', async () => {
        const small = row('missing', 'k', { inlineBytes: Buffer.from('foo') });
        assert.deepEqual(await store.putObject(small), { kind: 'no-such-bucket' });
        assert.equal(await store.readInlineBlob(small.blobId), null);
      });

      it('keeps the same key in two buckets apart', async () => {
        await store.createBucket({ name: 'c', owner: 'alice' });
        const inB = row('b', 'same');
        const inC = row('c', 'same');
        await store.putObject(inB);
        await store.putObject(inC);
        await store.deleteObject('b', 'same');
        const got = await store.getObject('c', 'same');
        assert.equal(got.kind, 'found');
        assert.equal(got.object.blobId, inC.blobId);
      });

      it('treats path-like and differently-normalised keys as distinct literal keys', async () => {
        const keys = ['../x', 'x', 'a/../b', 'b', '//', '/', 'caf\u00e9', 'cafe\u0301', ' ', 'a\tb'];
        const ids = new Map<string, string>();
        for (const key of keys) {
          const put = row('b', key);
          ids.set(key, put.blobId);
          const stored = await store.putObject(put);
          assert.equal(stored.kind === 'stored' && stored.replacedBlobId, null, `key ${JSON.stringify(key)} collided`);
        }
        for (const key of keys) {
          const got = await store.getObject('b', key);
          assert.equal(got.kind, 'found');
          assert.equal(got.object.key, key);
          assert.equal(got.object.blobId, ids.get(key));
        }
      });

      it('accepts a 1024-byte key and rejects 1025 bytes with KeyTooLongError', async () => {
        const max = '\u20ac'.repeat(341) + 'a'; // 341 × 3 bytes + 1
        assert.equal(Buffer.byteLength(max), 1024);
        assert.equal((await store.putObject(row('b', max))).kind, 'stored');
        const got = await store.getObject('b', max);
        assert.equal(got.kind === 'found' && got.object.key, max);
        await assert.rejects(store.putObject(row('b', max + 'a')), { code: 'KeyTooLongError', status: 400 });
        await assert.rejects(store.getObject('b', '\u20ac'.repeat(342)), { code: 'KeyTooLongError', status: 400 });
      });

      it('rejects keys that are not valid UTF-8 text instead of storing them under another key', async () => {
        await assert.rejects(store.putObject(row('b', 'lone \ud800 surrogate')), { code: 'InvalidArgument', status: 400 });
        await assert.rejects(store.putObject(row('b', '')), { code: 'InvalidArgument', status: 400 });
        assert.deepEqual(await store.getObject('b', 'lone \ufffd surrogate'), { kind: 'no-such-key' });
      });

      it('reports which blob ids are referenced', async () => {
        const a = row('b', 'a');
        const c = row('b', 'c');
        await store.putObject(a);
        await store.putObject(c);
        const unknown = newBlobId();
        assert.deepEqual(await store.referencedBlobIds([a.blobId, unknown, c.blobId]), new Set([a.blobId, c.blobId]));
        assert.deepEqual(await store.referencedBlobIds([]), new Set());
      });

      it('counts the objects of every bucket, a replaced key once, a deleted one no more', async () => {
        assert.equal(await store.countObjects(), 0);
        await store.createBucket({ name: 'other', owner: 'alice' });
        await store.putObject(row('b', 'a'));
        await store.putObject(row('b', 'a'));
        await store.putObject(row('b', 'c'));
        await store.putObject(row('other', 'a'));
        assert.equal(await store.countObjects(), 3);
        await store.deleteObject('b', 'c');
        assert.equal(await store.countObjects(), 2);
      });
    });

    listingContract(() => store);
    versionsContract(() => store);
  });
}
