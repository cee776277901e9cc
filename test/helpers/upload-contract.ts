import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { MetadataStore } from '../../src/storage/metadata-store.js';
import type { ObjectPart } from '../../src/storage/types.js';
import type { UploadStore } from '../../src/storage/upload-store.js';
import { newBlobId } from './metadata-contract.js';
import type { StoreFactory, StoreFixture } from './store-fixtures.js';

export function part(partNumber: number, blobId = newBlobId()): { partNumber: number; size: number; etag: string; checksums: Record<string, string>; blobId: string } {
  return { partNumber, size: 5, etag: `e${partNumber}`.padEnd(32, '0'), checksums: { CRC32: 'AAAAAA==' }, blobId };
}

export async function startUpload(uploads: UploadStore, key: string, uploadId: string, initiated?: Date): Promise<void> {
  const created = await uploads.createUpload({
    bucket: 'b', key, uploadId, initiator: 'alice', metadata: { contentType: 'text/plain', userMetadata: { a: '1' }, tags: { t: 'x y' } },
    checksumAlgorithm: 'CRC32', checksumType: 'COMPOSITE', initiated,
  });
  assert.equal(created.kind, 'created');
}

/** The behaviour every UploadStore backend must share. */
export function uploadStoreContract(name: string, factory: StoreFactory, options: { skip?: string } = {}): void {
  describe(`UploadStore contract: ${name}`, options, () => {
    let fixture: StoreFixture;
    let metadata: MetadataStore;
    let uploads: UploadStore;
    beforeEach(async () => {
      fixture = await factory();
      metadata = fixture.store;
      uploads = metadata.uploads;
      await metadata.createBucket({ name: 'b', owner: 'root' });
    });
    afterEach(() => fixture.cleanup());

    it('creates an upload only in an existing bucket, and finds it only under its own bucket and key', async () => {
      assert.deepEqual(await uploads.createUpload({ bucket: 'missing', key: 'k', uploadId: 'u0', initiator: 'a', metadata: {} }), { kind: 'no-such-bucket' });
      await startUpload(uploads, 'k', 'u1', new Date(1_000_000));
      const found = await uploads.getUpload('b', 'k', 'u1');
      assert.deepEqual(found, {
        uploadId: 'u1', bucket: 'b', key: 'k', initiator: 'alice', initiated: new Date(1_000_000),
        metadata: { contentType: 'text/plain', userMetadata: { a: '1' }, tags: { t: 'x y' } }, checksumAlgorithm: 'CRC32', checksumType: 'COMPOSITE',
      });
      assert.equal(await uploads.getUpload('b', 'other', 'u1'), null);
      assert.equal(await uploads.getUpload('c', 'k', 'u1'), null);
      assert.equal(await uploads.getUpload('b', 'k', 'nope'), null);
    });

    it('stores parts, reports the blob a re-upload replaced, and lists them in pages', async () => {
      await startUpload(uploads, 'k', 'u1');
      assert.deepEqual(await uploads.putPart({ bucket: 'b', key: 'other', uploadId: 'u1', part: part(1) }), { kind: 'no-such-upload' });
      const first = part(2);
      const stored = await uploads.putPart({ bucket: 'b', key: 'k', uploadId: 'u1', part: first });
      assert.equal(stored.kind === 'stored' && stored.replacedBlobId, null);
      const again = part(2);
      const replaced = await uploads.putPart({ bucket: 'b', key: 'k', uploadId: 'u1', part: again });
      assert.equal(replaced.kind === 'stored' && replaced.replacedBlobId, first.blobId);
      for (const n of [1, 3, 10]) await uploads.putPart({ bucket: 'b', key: 'k', uploadId: 'u1', part: part(n) });
      const page = await uploads.listParts({ bucket: 'b', key: 'k', uploadId: 'u1', after: 0, maxParts: 2 });
      assert.equal(page.kind, 'listed');
      assert.deepEqual(page.parts.map((p) => p.partNumber), [1, 2]);
      assert.equal(page.parts[1]?.blobId, again.blobId);
      assert.deepEqual(page.parts[0]?.checksums, { CRC32: 'AAAAAA==' });
      assert.equal(page.isTruncated, true);
      assert.equal(page.nextAfter, 2);
      const rest = await uploads.listParts({ bucket: 'b', key: 'k', uploadId: 'u1', after: 2, maxParts: 10 });
      assert.deepEqual(rest.kind === 'listed' && [rest.parts.map((p) => p.partNumber), rest.isTruncated, rest.nextAfter], [[3, 10], false, undefined]);
      assert.deepEqual(await uploads.listParts({ bucket: 'b', key: 'x', uploadId: 'u1', after: 0, maxParts: 1 }), { kind: 'no-such-upload' });
    });

    it('lists uploads in key byte order, then initiation, with prefix, delimiter and markers', async () => {
      await startUpload(uploads, 'photos/2024/a.jpg', 'u1', new Date(1000));
      await startUpload(uploads, 'photos/2023/b.jpg', 'u2', new Date(2000));
      await startUpload(uploads, 'notes.txt', 'u3', new Date(3000));
      await startUpload(uploads, 'notes.txt', 'u4', new Date(4000));
      await startUpload(uploads, '\u{1F600}.txt', 'u5', new Date(5000));
      await startUpload(uploads, '\uFFFD.txt', 'u6', new Date(6000));
      const all = await uploads.listUploads({ bucket: 'b', maxUploads: 100 });
      assert.equal(all.kind, 'listed');
      assert.deepEqual(all.uploads.map((u) => u.uploadId), ['u3', 'u4', 'u2', 'u1', 'u6', 'u5']);
      const grouped = await uploads.listUploads({ bucket: 'b', prefix: 'photos/', delimiter: '/', maxUploads: 100 });
      assert.deepEqual(grouped.kind === 'listed' && grouped.commonPrefixes, ['photos/2023/', 'photos/2024/']);
      const paged = await uploads.listUploads({ bucket: 'b', maxUploads: 1 });
      assert.deepEqual(paged.kind === 'listed' && [paged.isTruncated, paged.nextKeyMarker, paged.nextUploadIdMarker], [true, 'notes.txt', 'u3']);
      const next = await uploads.listUploads({ bucket: 'b', keyMarker: 'notes.txt', uploadIdMarker: 'u3', maxUploads: 2 });
      assert.deepEqual(next.kind === 'listed' && next.uploads.map((u) => u.uploadId), ['u4', 'u2']);
      const ids = async (query: Omit<Parameters<typeof uploads.listUploads>[0], 'bucket' | 'maxUploads'>) => {
        const page = await uploads.listUploads({ bucket: 'b', maxUploads: 100, ...query });
        return page.kind === 'listed' ? [...page.uploads.map((u) => u.uploadId), ...page.commonPrefixes] : page.kind;
      };
      assert.deepEqual(await ids({ keyMarker: 'notes.txt' }), ['u2', 'u1', 'u6', 'u5'], 'a key marker alone: keys after it');
      assert.deepEqual(await ids({ keyMarker: 'notes.txt', uploadIdMarker: 'u2' }), ['u2', 'u1', 'u6', 'u5'], "an upload-id marker of another key: none of the marker key's");
      assert.deepEqual(await ids({ uploadIdMarker: 'u3' }), ['u3', 'u4', 'u2', 'u1', 'u6', 'u5'], 'an upload-id marker without a key marker is ignored');
      assert.deepEqual(await ids({ prefix: 'photos/', delimiter: '/', keyMarker: 'photos/2023/' }), ['photos/2024/'], 'a common prefix as the marker skips its group');
      assert.deepEqual(await ids({ delimiter: '/', keyMarker: 'notes.txt', uploadIdMarker: 'u3' }), ['u4', 'u6', 'u5', 'photos/'], 'keys then prefixes, each in order');
      const groupPage = await uploads.listUploads({ bucket: 'b', delimiter: '/', keyMarker: 'notes.txt', uploadIdMarker: 'u4', maxUploads: 1 });
      assert.deepEqual(groupPage.kind === 'listed' && [groupPage.commonPrefixes, groupPage.isTruncated, groupPage.nextKeyMarker, groupPage.nextUploadIdMarker], [['photos/'], true, 'photos/', undefined]);
      assert.deepEqual(await uploads.listUploads({ bucket: 'missing', maxUploads: 1 }), { kind: 'no-such-bucket' });
    });

    it('completes atomically into an object made of the part blobs, freeing unused parts and the replaced version', async () => {
      const old = { bucket: 'b', key: 'k', size: 3, etag: 'acbd18db4cc2f85cedef654fccc4a4d8', blobId: newBlobId() };
      await metadata.putObject(old);
      await startUpload(uploads, 'k', 'u1');
      const parts = [part(1), part(2), part(3)];
      for (const p of parts) await uploads.putPart({ bucket: 'b', key: 'k', uploadId: 'u1', part: p });
      const used: ObjectPart[] = [parts[0], parts[2]].map((p) => ({ ...p!, partNumber: p!.partNumber }));
      const stale = [{ ...used[0]!, blobId: newBlobId() }];
      const input = { bucket: 'b', key: 'k', uploadId: 'u1', size: 10, etag: 'abc-2', checksums: { CRC32: 'BBBBBB==' } };
      assert.deepEqual(await uploads.completeUpload({ ...input, parts: stale }), { kind: 'parts-changed' });
      assert.deepEqual(await uploads.completeUpload({ ...input, key: 'other', parts: used }), { kind: 'no-such-upload' });
      const done = await uploads.completeUpload({ ...input, parts: used });
      assert.equal(done.kind, 'completed');
      assert.deepEqual(new Set(done.freedBlobIds), new Set([parts[1]!.blobId, old.blobId]));
      const got = await metadata.getObject('b', 'k');
      assert.equal(got.kind, 'found');
      assert.equal(got.object.contentType, 'text/plain');
      assert.deepEqual(got.object.userMetadata, { a: '1' });
      // Tags asked for when the upload was created are the completed version's.
      assert.deepEqual(got.object.tags, { t: 'x y' });
      assert.deepEqual(got.object.parts?.map((p) => p.blobId), used.map((p) => p.blobId));
      assert.deepEqual(await metadata.referencedBlobIds(parts.map((p) => p.blobId)), new Set(used.map((p) => p.blobId)));
      assert.equal(await uploads.getUpload('b', 'k', 'u1'), null);
      assert.deepEqual(await uploads.completeUpload({ ...input, parts: used }), { kind: 'no-such-upload' });
      // The completion is remembered, for this bucket and key only.
      assert.deepEqual(await uploads.getCompletedUpload('b', 'k', 'u1'), {
        etag: 'abc-2', blobId: used[0]!.blobId, checksumType: 'COMPOSITE', completedAt: got.object.lastModified,
      });
      assert.equal(await uploads.getCompletedUpload('b', 'other', 'u1'), null);
      assert.equal(await uploads.getCompletedUpload('c', 'k', 'u1'), null);
      assert.equal(await uploads.getCompletedUpload('b', 'k', 'u2'), null);
      // Deleting the multipart object frees every part blob.
      const deleted = await metadata.deleteObject('b', 'k');
      assert.equal(deleted.kind, 'deleted');
      assert.deepEqual(deleted.kind === 'deleted' && new Set([deleted.blobId, ...(deleted.partBlobIds ?? [])]), new Set(used.map((p) => p.blobId)));
    });

    it('aborts and expires uploads, returning their part blobs', async () => {
      await startUpload(uploads, 'a', 'u1', new Date(1000));
      await startUpload(uploads, 'b', 'u2', new Date(2000));
      await startUpload(uploads, 'c', 'u3', new Date(Date.now()));
      const p1 = part(1);
      await uploads.putPart({ bucket: 'b', key: 'a', uploadId: 'u1', part: p1 });
      const p2 = part(1);
      await uploads.putPart({ bucket: 'b', key: 'b', uploadId: 'u2', part: p2 });
      assert.deepEqual(await uploads.abortUpload('b', 'x', 'u1'), { kind: 'no-such-upload' });
      assert.deepEqual(await uploads.abortUpload('b', 'a', 'u1'), { kind: 'aborted', freedBlobIds: [p1.blobId] });
      assert.deepEqual(await uploads.abortUpload('b', 'a', 'u1'), { kind: 'no-such-upload' });
      assert.deepEqual(await uploads.expireUploads(new Date(Date.now() - 60_000), 10), { expired: 1, freedBlobIds: [p2.blobId] });
      assert.notEqual(await uploads.getUpload('b', 'c', 'u3'), null);
      assert.deepEqual(await metadata.referencedBlobIds([p1.blobId, p2.blobId]), new Set());
    });

    it('forgets completed uploads with the expiry sweep, and with their bucket', async () => {
      for (const [key, id, at] of [['old', 'u1', 1000], ['new', 'u2', Date.now()]] as const) {
        await startUpload(uploads, key, id);
        const p = part(1);
        await uploads.putPart({ bucket: 'b', key, uploadId: id, part: p });
        const done = await uploads.completeUpload({ bucket: 'b', key, uploadId: id, parts: [p], size: 5, etag: `${id}-1`, checksums: {}, lastModified: new Date(at) });
        assert.equal(done.kind, 'completed');
      }
      // Nothing open to expire, yet the completion older than the cut-off is forgotten.
      assert.deepEqual(await uploads.expireUploads(new Date(Date.now() - 60_000), 10), { expired: 0, freedBlobIds: [] });
      assert.equal(await uploads.getCompletedUpload('b', 'old', 'u1'), null);
      assert.equal((await uploads.getCompletedUpload('b', 'new', 'u2'))?.etag, 'u2-1');
      for (const key of ['old', 'new']) await metadata.deleteObject('b', key);
      assert.deepEqual(await metadata.deleteBucket('b'), { kind: 'deleted' });
      await metadata.createBucket({ name: 'b', owner: 'root' });
      assert.equal(await uploads.getCompletedUpload('b', 'new', 'u2'), null);
    });

    it('keeps blobs freed for later out of the sweep (and counted as referenced) until they are due', async () => {
      const now = Date.now();
      const [soon, later] = [newBlobId(), newBlobId()];
      await uploads.freeBlobsLater([soon], new Date(now + 1000));
      await uploads.freeBlobsLater([later], new Date(now + 60_000));
      assert.deepEqual(await uploads.pendingFreedBlobs(10, new Date(now)), []);
      assert.deepEqual(await metadata.referencedBlobIds([soon, later]), new Set([soon, later]));
      assert.deepEqual(await uploads.pendingFreedBlobs(10, new Date(now + 1000)), [soon]);
      assert.deepEqual(new Set(await uploads.pendingFreedBlobs(10, new Date(now + 60_000))), new Set([soon, later]));
      await uploads.forgetFreedBlobs([soon, later]);
      assert.deepEqual(await uploads.pendingFreedBlobs(10, new Date(now + 60_000)), []);
    });

    it('frees the part blobs of a deleted bucket\'s uploads for the sweep', async () => {
      await startUpload(uploads, 'k', 'u1');
      const p = part(1);
      await uploads.putPart({ bucket: 'b', key: 'k', uploadId: 'u1', part: p });
      assert.deepEqual(await metadata.deleteBucket('b'), { kind: 'deleted' });
      assert.deepEqual(await uploads.pendingFreedBlobs(10), [p.blobId]);
      await uploads.forgetFreedBlobs([p.blobId]);
      assert.deepEqual(await uploads.pendingFreedBlobs(10), []);
      assert.deepEqual(await uploads.putPart({ bucket: 'b', key: 'k', uploadId: 'u1', part: part(2) }), { kind: 'no-such-upload' });
    });
  });
}
