import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { MetadataStore } from '../../src/storage/metadata-store.js';
import type { ListVersionsPage } from '../../src/storage/versions.js';
import { newBlobId, row } from './metadata-contract.js';
import { VersionModel } from './version-model.js';

async function put(store: MetadataStore, bucket: string, key: string, extra: Parameters<typeof row>[2] = {}) {
  const stored = await store.putObject(row(bucket, key, extra));
  assert.equal(stored.kind, 'stored');
  return stored;
}

async function versions(store: MetadataStore, bucket: string, q: Partial<Parameters<MetadataStore['listObjectVersions']>[0]> = {}): Promise<ListVersionsPage> {
  const listed = await store.listObjectVersions({ bucket, maxKeys: 1000, ...q });
  assert.equal(listed.kind, 'listed');
  return listed;
}

function ids(page: ListVersionsPage): string[] {
  return page.versions.map((v) => `${v.key}@${v.versionId ?? 'null'}${v.deleteMarker ? '(dm)' : ''}${v.isLatest ? '*' : ''}`);
}

/** Versions: the part of the MetadataStore contract a versioned bucket adds. */
export function versionsContract(getStore: () => MetadataStore): void {
  describe('versions', () => {
    it('a bucket is never versioned until set, and cannot be set when missing', async () => {
      const store = getStore();
      await store.createBucket({ name: 'v', owner: 'alice' });
      assert.equal(await store.getVersioning('v'), null);
      assert.equal(await store.getVersioning('missing'), 'no-such-bucket');
      assert.equal(await store.setVersioning('missing', 'Enabled'), 'no-such-bucket');
      assert.equal(await store.setVersioning('v', 'Enabled'), 'set');
      assert.equal(await store.getVersioning('v'), 'Enabled');
      assert.equal(await store.setVersioning('v', 'Suspended'), 'set');
      assert.equal(await store.getVersioning('v'), 'Suspended');
    });

    it('a write tells whether its bucket had versioning: never versioned no, Enabled and Suspended yes (a "null" version is then named)', async () => {
      const store = getStore();
      await store.createBucket({ name: 'v', owner: 'alice' });
      assert.equal((await put(store, 'v', 'k')).versioned, false);
      assert.equal((await put(store, 'v', 'k', { inlineBytes: Buffer.from('x'), size: 1 })).versioned, false);
      await store.setVersioning('v', 'Enabled');
      const enabled = await put(store, 'v', 'k');
      assert.equal(enabled.versioned, true);
      assert.notEqual(enabled.object.versionId, undefined);
      await store.setVersioning('v', 'Suspended');
      const suspended = await put(store, 'v', 'k');
      assert.equal(suspended.versioned, true);
      assert.equal(suspended.object.versionId, undefined);
    });

    it('an unversioned bucket keeps one "null" version per key, replaced in place', async () => {
      const store = getStore();
      await store.createBucket({ name: 'v', owner: 'alice' });
      const first = await put(store, 'v', 'k');
      assert.equal(first.object.versionId, undefined);
      const second = await put(store, 'v', 'k');
      assert.equal(second.kind === 'stored' && second.replacedBlobId, first.object.blobId);
      assert.deepEqual(ids(await versions(store, 'v')), ['k@null*']);
      const got = await store.getObjectVersion('v', 'k', null);
      assert.equal(got.kind === 'found' && got.object.blobId, second.object.blobId);
      assert.deepEqual(await store.deleteObject('v', 'k'), { kind: 'deleted', blobId: second.object.blobId });
    });

    it('an enabled bucket keeps every version, each readable by id, the newest current; no bytes freed', async () => {
      const store = getStore();
      await store.createBucket({ name: 'v', owner: 'alice' });
      const before = await put(store, 'v', 'k'); // the "null" version, from before versioning
      await store.setVersioning('v', 'Enabled');
      const v1 = await put(store, 'v', 'k', { inlineBytes: Buffer.from('one'), size: 3 });
      const v2 = await put(store, 'v', 'k');
      assert.equal(v1.replacedBlobId, null);
      assert.equal(v2.replacedBlobId, null);
      assert.match(v1.object.versionId ?? '', /^[A-Za-z0-9_-]{24}$/);
      assert.notEqual(v1.object.versionId, v2.object.versionId);
      const current = await store.getObject('v', 'k');
      assert.equal(current.kind === 'found' && current.object.versionId, v2.object.versionId);
      const old = await store.getObjectVersion('v', 'k', v1.object.versionId ?? '');
      assert.equal(old.kind === 'found' && old.object.blobId, v1.object.blobId);
      assert.equal(old.kind === 'found' && old.object.inline, true);
      assert.deepEqual(await store.readInlineBlob(v1.object.blobId), Buffer.from('one'));
      const nullOne = await store.getObjectVersion('v', 'k', null);
      assert.equal(nullOne.kind === 'found' && nullOne.object.blobId, before.object.blobId);
      assert.deepEqual(await store.getObjectVersion('v', 'k', 'AAAAAAAAAAAAAAAAAAAAAAAA'), { kind: 'no-such-version' });
      assert.deepEqual(ids(await versions(store, 'v')), [`k@${v2.object.versionId}*`, `k@${v1.object.versionId}`, 'k@null']);
      const referenced = await store.referencedBlobIds([before.object.blobId, v2.object.blobId, newBlobId()]);
      assert.deepEqual(referenced, new Set([before.object.blobId, v2.object.blobId]));
      const listed = await store.listObjects({ bucket: 'v', maxKeys: 10 });
      assert.deepEqual(listed.kind === 'listed' && listed.contents.map((o) => o.key), ['k']);
      assert.deepEqual(await store.deleteBucket('v'), { kind: 'not-empty' });
    });

    it('a delete marker hides the key; deleting it brings the previous version back', async () => {
      const store = getStore();
      await store.createBucket({ name: 'v', owner: 'alice' });
      await store.setVersioning('v', 'Enabled');
      const v1 = await put(store, 'v', 'k');
      const marked = await store.deleteObject('v', 'k');
      assert.equal(marked.kind, 'marked');
      const markerId = marked.kind === 'marked' ? marked.versionId : undefined;
      assert.deepEqual(marked, { kind: 'marked', versionId: markerId, freedBlobIds: [] });
      assert.deepEqual(await store.getObject('v', 'k'), { kind: 'no-such-key', deleteMarker: { versionId: markerId } });
      const asVersion = await store.getObjectVersion('v', 'k', markerId ?? null);
      assert.equal(asVersion.kind, 'delete-marker');
      const listed = await store.listObjects({ bucket: 'v', maxKeys: 10 });
      assert.deepEqual(listed.kind === 'listed' && listed.contents, []);
      assert.deepEqual(ids(await versions(store, 'v')), [`k@${markerId}(dm)*`, `k@${v1.object.versionId}`]);
      // A marker on a key that has none still goes in.
      const ghost = await store.deleteObject('v', 'never');
      assert.equal(ghost.kind, 'marked');
      assert.deepEqual(await store.deleteObjectVersion('v', 'k', markerId ?? null), { kind: 'deleted', deleteMarker: true, freedBlobIds: [] });
      const back = await store.getObject('v', 'k');
      assert.equal(back.kind === 'found' && back.object.versionId, v1.object.versionId);
      assert.deepEqual(await store.deleteObjectVersion('v', 'k', markerId ?? null), { kind: 'no-such-version' });
    });

    it('deleting a version frees exactly its bytes (multipart parts too) and the next one becomes current', async () => {
      const store = getStore();
      await store.createBucket({ name: 'v', owner: 'alice' });
      await store.setVersioning('v', 'Enabled');
      const v1 = await put(store, 'v', 'k');
      const v2 = await put(store, 'v', 'k', { inlineBytes: Buffer.from('two'), size: 3 });
      const v3 = await put(store, 'v', 'k');
      const gone = await store.deleteObjectVersion('v', 'k', v1.object.versionId ?? null);
      assert.deepEqual(gone, { kind: 'deleted', deleteMarker: false, freedBlobIds: [v1.object.blobId] });
      const top = await store.deleteObjectVersion('v', 'k', v3.object.versionId ?? null);
      assert.deepEqual(top, { kind: 'deleted', deleteMarker: false, freedBlobIds: [v3.object.blobId] });
      const current = await store.getObject('v', 'k');
      assert.equal(current.kind === 'found' && current.object.versionId, v2.object.versionId);
      assert.equal(current.kind === 'found' && current.object.inline, true);
      assert.deepEqual(await store.readInlineBlob(v2.object.blobId), Buffer.from('two'));
      assert.deepEqual(await store.deleteObjectVersion('v', 'k', v2.object.versionId ?? null), { kind: 'deleted', deleteMarker: false, freedBlobIds: [] });
      assert.equal(await store.readInlineBlob(v2.object.blobId), null);
      assert.deepEqual(ids(await versions(store, 'v')), []);
      assert.deepEqual(await store.deleteBucket('v'), { kind: 'deleted' });
    });

    it('a completed multipart upload is a new version whose part blobs stay referenced once archived', async () => {
      const store = getStore();
      await store.createBucket({ name: 'v', owner: 'alice' });
      await store.setVersioning('v', 'Enabled');
      const uploadId = 'u'.repeat(48);
      const created = await store.uploads.createUpload({ bucket: 'v', key: 'm', uploadId, initiator: 'alice', metadata: {} });
      assert.equal(created.kind, 'created');
      const blobs = [newBlobId(), newBlobId()];
      for (const [i, blobId] of blobs.entries()) {
        await store.uploads.putPart({ bucket: 'v', key: 'm', uploadId, part: { partNumber: i + 1, size: 5, etag: 'e', checksums: {}, blobId } });
      }
      const completed = await store.uploads.completeUpload({
        bucket: 'v', key: 'm', uploadId, size: 10, etag: 'x-2', checksums: {},
        parts: blobs.map((blobId, i) => ({ partNumber: i + 1, size: 5, etag: 'e', checksums: {}, blobId })),
      });
      assert.equal(completed.kind, 'completed');
      const mpVersion = completed.kind === 'completed' ? completed.object.versionId : undefined;
      assert.ok(mpVersion !== undefined);
      await put(store, 'v', 'm');
      assert.deepEqual(await store.referencedBlobIds(blobs), new Set(blobs));
      const old = await store.getObjectVersion('v', 'm', mpVersion ?? null);
      assert.deepEqual(old.kind === 'found' && old.object.parts?.map((p) => p.blobId), blobs);
      const gone = await store.deleteObjectVersion('v', 'm', mpVersion ?? null);
      assert.deepEqual(gone.kind === 'deleted' && [...gone.freedBlobIds].sort(), [...blobs].sort());
      assert.deepEqual(await store.referencedBlobIds(blobs), new Set());
    });

    it('a suspended bucket overwrites the "null" version and keeps the real ones', async () => {
      const store = getStore();
      await store.createBucket({ name: 'v', owner: 'alice' });
      await store.setVersioning('v', 'Enabled');
      const real = await put(store, 'v', 'k');
      await store.setVersioning('v', 'Suspended');
      const n1 = await put(store, 'v', 'k');
      assert.equal(n1.object.versionId, undefined);
      assert.equal(n1.replacedBlobId, null);
      const n2 = await put(store, 'v', 'k');
      assert.equal(n2.replacedBlobId, n1.object.blobId);
      assert.deepEqual(ids(await versions(store, 'v')), ['k@null*', `k@${real.object.versionId}`]);
      // A delete is a "null" marker, replacing the "null" version.
      assert.deepEqual(await store.deleteObject('v', 'k'), { kind: 'marked', versionId: undefined, freedBlobIds: [n2.object.blobId] });
      assert.deepEqual(ids(await versions(store, 'v')), ['k@null(dm)*', `k@${real.object.versionId}`]);
      await store.setVersioning('v', 'Enabled');
      const v3 = await put(store, 'v', 'k');
      assert.deepEqual(ids(await versions(store, 'v')), [`k@${v3.object.versionId}*`, 'k@null(dm)', `k@${real.object.versionId}`]);
      await store.setVersioning('v', 'Suspended');
      const n3 = await put(store, 'v', 'k'); // the archived null marker goes, the real versions stay
      assert.equal(n3.replacedBlobId, null);
      assert.deepEqual(ids(await versions(store, 'v')), ['k@null*', `k@${v3.object.versionId}`, `k@${real.object.versionId}`]);
    });

    it('pages with key and version-id markers, and rolls up common prefixes', async () => {
      const store = getStore();
      await store.createBucket({ name: 'v', owner: 'alice' });
      await store.setVersioning('v', 'Enabled');
      for (const key of ['a', 'a', 'a', 'd/1', 'd/2', 'z']) await put(store, 'v', key);
      const all = ids(await versions(store, 'v'));
      assert.equal(all.length, 6);
      const first = await versions(store, 'v', { maxKeys: 2 });
      assert.deepEqual(ids(first), all.slice(0, 2));
      assert.equal(first.isTruncated, true);
      assert.equal(first.nextKeyMarker, 'a');
      const second = await versions(store, 'v', { maxKeys: 2, keyMarker: first.nextKeyMarker, versionIdMarker: first.nextVersionIdMarker });
      assert.deepEqual(ids(second), all.slice(2, 4));
      const grouped = await versions(store, 'v', { delimiter: '/', maxKeys: 4 });
      assert.deepEqual(grouped.commonPrefixes, ['d/']);
      assert.equal(grouped.isTruncated, true);
      assert.equal(grouped.nextKeyMarker, 'd/');
      assert.equal(grouped.nextVersionIdMarker, undefined);
      const rest = await versions(store, 'v', { delimiter: '/', maxKeys: 4, keyMarker: 'd/' });
      assert.deepEqual(ids(rest), [all[5]]);
      assert.equal(rest.isTruncated, false);
    });

    it('lists versions in the order a naive model gives, for random operations, prefixes, delimiters and page sizes', async () => {
      const store = getStore();
      const keyArb = fc.constantFrom('a', 'a/b', 'a/c', 'b', 'b-', '\u00e9', '\u{1F600}', 'z/z/z');
      const op = fc.oneof(
        fc.record({ kind: fc.constant('put' as const), key: keyArb }),
        fc.record({ kind: fc.constant('delete' as const), key: keyArb }),
        fc.record({ kind: fc.constant('drop' as const), key: keyArb, pick: fc.nat(5) }),
        fc.record({ kind: fc.constant('status' as const), status: fc.constantFrom('Enabled' as const, 'Suspended' as const) }),
      );
      let n = 0;
      await fc.assert(fc.asyncProperty(
        fc.array(op, { maxLength: 20 }),
        fc.constantFrom(undefined, '', 'a', 'a/', 'b'),
        fc.constantFrom(undefined, '', '/', '-'),
        fc.integer({ min: 1, max: 5 }),
        async (ops, prefix, delimiter, maxKeys) => {
          const bucket = `vprop-${n++}`;
          await store.createBucket({ name: bucket, owner: 'alice' });
          const model = new VersionModel();
          for (const o of ops) {
            if (o.kind === 'status') {
              await store.setVersioning(bucket, o.status);
              model.status = o.status;
            } else if (o.kind === 'put') {
              const stored = await put(store, bucket, o.key);
              model.write(o.key, stored.object.versionId ?? 'null', false);
            } else if (o.kind === 'delete') {
              const deleted = await store.deleteObject(bucket, o.key);
              model.write(o.key, deleted.kind === 'marked' ? deleted.versionId ?? 'null' : 'null', true);
            } else {
              const list = model.versions.get(o.key) ?? [];
              const target = list[o.pick % Math.max(1, list.length)];
              const versionId = target?.versionId ?? 'AAAAAAAAAAAAAAAAAAAAAAAA';
              const removed = await store.deleteObjectVersion(bucket, o.key, versionId === 'null' ? null : versionId);
              assert.equal(removed.kind === 'deleted', model.remove(o.key, versionId));
            }
          }
          for (const key of ['a', 'b', 'a/b']) {
            const got = await store.getObject(bucket, key);
            assert.equal(got.kind === 'found' ? got.object.versionId ?? 'null' : undefined, model.current(key)?.versionId);
          }
          const expected = model.entries({ prefix, delimiter }).map((e) => (e.kind === 'prefix'
            ? `prefix ${e.value}`
            : `${e.v.key}@${e.v.versionId}${e.v.deleteMarker ? '(dm)' : ''}${e.isLatest ? '*' : ''}`));
          const seen: string[] = [];
          let keyMarker: string | undefined;
          let versionIdMarker: string | undefined;
          for (let pages = 0; pages < 100; pages++) {
            const page = await versions(store, bucket, { prefix, delimiter, maxKeys, keyMarker, versionIdMarker });
            assert.ok(page.versions.length + page.commonPrefixes.length <= maxKeys);
            seen.push(...ids(page), ...page.commonPrefixes.map((p) => `prefix ${p}`));
            if (!page.isTruncated) break;
            keyMarker = page.nextKeyMarker;
            versionIdMarker = page.nextVersionIdMarker;
          }
          // Within a page, prefixes are reported apart from versions: compare as the model orders them.
          assert.deepEqual(seen.sort(), [...expected].sort());
          const whole = await versions(store, bucket, { prefix, delimiter });
          assert.deepEqual(ids(whole), expected.filter((e) => !e.startsWith('prefix ')));
        },
      ), { numRuns: 60 });
    });
  });
}
