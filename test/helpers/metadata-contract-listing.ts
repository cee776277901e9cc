import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { MetadataStore } from '../../src/storage/metadata-store.js';
import type { ListObjectsPage, ListObjectsQuery } from '../../src/storage/types.js';
import { byteCompare, modelEntries, modelList, type ModelPage, type ModelQuery } from './list-model.js';

async function seed(store: MetadataStore, bucket: string, keys: readonly string[]): Promise<void> {
  const created = await store.createBucket({ name: bucket, owner: 'alice' });
  assert.equal(created.kind, 'created');
  for (const key of keys) {
    const stored = await store.putObject({ bucket, key, size: key.length, etag: 'e', blobId: randomBytes(16).toString('hex') });
    assert.equal(stored.kind, 'stored');
  }
}

async function list(store: MetadataStore, query: ListObjectsQuery): Promise<ListObjectsPage> {
  const result = await store.listObjects(query);
  assert.equal(result.kind, 'listed');
  return result;
}

function shape(page: ListObjectsPage): ModelPage {
  return {
    contents: page.contents.map((o) => o.key),
    commonPrefixes: [...page.commonPrefixes],
    isTruncated: page.isTruncated,
    nextAfter: page.nextAfter,
  };
}

/** Follows nextAfter to the end, returning every entry in order. */
async function listAll(store: MetadataStore, bucket: string, q: Omit<ModelQuery, 'after'>): Promise<{ entries: string[]; pages: number }> {
  const entries: string[] = [];
  let after: string | undefined;
  for (let pages = 1; ; pages++) {
    const page = await list(store, { bucket, ...q, after });
    const pageEntries = [...page.contents.map((o) => o.key), ...page.commonPrefixes].sort(byteCompare);
    assert.ok(pageEntries.length <= q.maxKeys);
    entries.push(...pageEntries);
    if (!page.isTruncated) return { entries, pages };
    assert.equal(page.nextAfter, pageEntries[pageEntries.length - 1]);
    after = page.nextAfter;
    assert.ok(pages < 10_000, 'paging does not terminate');
  }
}

// U+FFFD is EF BF BD in UTF-8, U+1F600 is F0 9F 98 80: UTF-8 puts the emoji
// last, UTF-16 (D83D DE00 < FFFD) puts it first.
const ORDER_KEYS = ['\u{1F600}', '\uFFFD', 'a', 'Z', '\u00e9', '\u007f', '\u00ff', '\u0100', 'a\u{1F600}', 'a\uFFFD', ' '];

/** s3-tests' delimiter_prefix key set. */
const TREE = ['asdf', 'boo/bar', 'boo/baz/xyzzy', 'cquux/thud', 'cquux/bla'];

export function listingContract(getStore: () => MetadataStore): void {
  describe('listing', () => {
    it('orders keys by UTF-8 bytes, not UTF-16 code units', async () => {
      const store = getStore();
      await seed(store, 'order', ORDER_KEYS);
      const page = await list(store, { bucket: 'order', maxKeys: 1000 });
      const keys = page.contents.map((o) => o.key);
      assert.deepEqual(keys, [' ', 'Z', 'a', 'a\uFFFD', 'a\u{1F600}', '\u007f', '\u00e9', '\u00ff', '\u0100', '\uFFFD', '\u{1F600}']);
      assert.ok(keys.indexOf('\uFFFD') < keys.indexOf('\u{1F600}'));
      // And paging resumes in that same order from a key above U+FFFF.
      const rest = await list(store, { bucket: 'order', maxKeys: 1000, after: 'a\uFFFD' });
      assert.deepEqual(rest.contents.map((o) => o.key), keys.slice(keys.indexOf('a\u{1F600}')));
      assert.deepEqual((await list(store, { bucket: 'order', maxKeys: 10, prefix: '\uFFFD' })).contents.map((o) => o.key), ['\uFFFD']);
    });

    it('reports a missing bucket', async () => {
      assert.deepEqual(await getStore().listObjects({ bucket: 'missing', maxKeys: 10 }), { kind: 'no-such-bucket' });
    });

    it('lists an empty bucket as empty and complete', async () => {
      const store = getStore();
      await seed(store, 'empty', []);
      assert.deepEqual(shape(await list(store, { bucket: 'empty', maxKeys: 1000, delimiter: '/' })),
        { contents: [], commonPrefixes: [], isTruncated: false, nextAfter: undefined });
    });

    it('returns summaries with size, etag, date and checksum algorithms', async () => {
      const store = getStore();
      await store.createBucket({ name: 'sum', owner: 'alice' });
      const lastModified = new Date('2023-01-02T03:04:05.678Z');
      await store.putObject({ bucket: 'sum', key: 'k', size: 42, etag: 'abc', blobId: randomBytes(16).toString('hex'), lastModified, checksums: { CRC32: 'AAAAAA==' } });
      const page = await list(store, { bucket: 'sum', maxKeys: 1 });
      assert.deepEqual(page.contents, [{ key: 'k', size: 42, etag: 'abc', lastModified, checksumAlgorithms: ['CRC32'] }]);
      assert.equal(page.isTruncated, false);
    });

    it('groups by delimiter and pages across common prefixes (s3-tests delimiter_prefix)', async () => {
      const store = getStore();
      await seed(store, 'tree', TREE);
      const q = { bucket: 'tree', delimiter: '/', maxKeys: 1 };
      assert.deepEqual(shape(await list(store, q)), { contents: ['asdf'], commonPrefixes: [], isTruncated: true, nextAfter: 'asdf' });
      assert.deepEqual(shape(await list(store, { ...q, after: 'asdf' })), { contents: [], commonPrefixes: ['boo/'], isTruncated: true, nextAfter: 'boo/' });
      assert.deepEqual(shape(await list(store, { ...q, after: 'boo/' })), { contents: [], commonPrefixes: ['cquux/'], isTruncated: false, nextAfter: undefined });
      assert.deepEqual(shape(await list(store, { ...q, maxKeys: 2 })), { contents: ['asdf'], commonPrefixes: ['boo/'], isTruncated: true, nextAfter: 'boo/' });
      assert.deepEqual(shape(await list(store, { ...q, maxKeys: 3 })), { contents: ['asdf'], commonPrefixes: ['boo/', 'cquux/'], isTruncated: false, nextAfter: undefined });
      assert.deepEqual(shape(await list(store, { ...q, prefix: 'boo/', maxKeys: 1000 })), { contents: ['boo/bar'], commonPrefixes: ['boo/baz/'], isTruncated: false, nextAfter: undefined });
      assert.deepEqual(shape(await list(store, { ...q, prefix: 'nope/', maxKeys: 1000 })), { contents: [], commonPrefixes: [], isTruncated: false, nextAfter: undefined });
      assert.deepEqual(shape(await list(store, { ...q, prefix: 'b', maxKeys: 1000 })), { contents: [], commonPrefixes: ['boo/'], isTruncated: false, nextAfter: undefined });
    });

    it('ends a page on a common prefix that sorts between keys (AWS answer quoted in versitygw#1280)', async () => {
      const store = getStore();
      await seed(store, 'v1280', ['dir1/subdir/file.txt', 'dir1/subdir.ext', 'dir1/subdir1.ext', 'dir1/subdir2.ext']);
      const q = { bucket: 'v1280', prefix: 'dir1/', delimiter: '/', maxKeys: 2 };
      assert.deepEqual(shape(await list(store, q)),
        { contents: ['dir1/subdir.ext'], commonPrefixes: ['dir1/subdir/'], isTruncated: true, nextAfter: 'dir1/subdir/' });
      assert.deepEqual(shape(await list(store, { ...q, after: 'dir1/subdir/' })),
        { contents: ['dir1/subdir1.ext', 'dir1/subdir2.ext'], commonPrefixes: [], isTruncated: false, nextAfter: undefined });
    });

    it('skips the whole group when `after` falls inside it, and lists a group after a shorter key', async () => {
      const store = getStore();
      await seed(store, 'mid', ['a', 'a/1', 'a/2', 'a/3', 'b']);
      const q = { bucket: 'mid', delimiter: '/', maxKeys: 1000 };
      assert.deepEqual(shape(await list(store, { ...q, after: 'a/1' })), { contents: ['b'], commonPrefixes: [], isTruncated: false, nextAfter: undefined });
      assert.deepEqual(shape(await list(store, { ...q, after: 'a' })), { contents: ['b'], commonPrefixes: ['a/'], isTruncated: false, nextAfter: undefined });
      assert.deepEqual(shape(await list(store, { ...q, after: '' })), { contents: ['a', 'b'], commonPrefixes: ['a/'], isTruncated: false, nextAfter: undefined });
      // Without a delimiter the same marker resumes inside the group.
      assert.deepEqual(shape(await list(store, { bucket: 'mid', maxKeys: 2, after: 'a/1' })), { contents: ['a/2', 'a/3'], commonPrefixes: [], isTruncated: true, nextAfter: 'a/3' });
    });

    it('handles markers before and after every key', async () => {
      const store = getStore();
      await seed(store, 'marks', TREE);
      assert.deepEqual(shape(await list(store, { bucket: 'marks', maxKeys: 1000, after: 'zzz' })), { contents: [], commonPrefixes: [], isTruncated: false, nextAfter: undefined });
      assert.deepEqual((await list(store, { bucket: 'marks', maxKeys: 1000, after: '\u0000' })).contents.length, TREE.length);
    });

    it('handles keys with the delimiter at either end, and an empty prefix segment', async () => {
      const store = getStore();
      const keys = ['/', '//', '/lead', '/lead/x', 'trail/', 'trail//', 'a//b', 'plain'];
      await seed(store, 'ends', keys);
      assert.deepEqual(shape(await list(store, { bucket: 'ends', delimiter: '/', maxKeys: 1000 })),
        { contents: ['plain'], commonPrefixes: ['/', 'a/', 'trail/'], isTruncated: false, nextAfter: undefined });
      assert.deepEqual(shape(await list(store, { bucket: 'ends', delimiter: '/', prefix: '/', maxKeys: 1000 })),
        { contents: ['/', '/lead'], commonPrefixes: ['//', '/lead/'], isTruncated: false, nextAfter: undefined });
      assert.deepEqual(shape(await list(store, { bucket: 'ends', delimiter: '/', prefix: 'trail/', maxKeys: 1000 })),
        { contents: ['trail/'], commonPrefixes: ['trail//'], isTruncated: false, nextAfter: undefined });
      assert.deepEqual(shape(await list(store, { bucket: 'ends', delimiter: '/', prefix: 'a/', maxKeys: 1000 })),
        { contents: [], commonPrefixes: ['a//'], isTruncated: false, nextAfter: undefined });
    });

    it('accepts delimiters other than "/" (single char, multi-char, non-ASCII) and treats "" as none', async () => {
      const store = getStore();
      const keys = ['bar', 'baz', 'cab', 'foo', 'x--y--z', 'x--w', 'p\u2192q', 'p\u2192r\u2192s'];
      await seed(store, 'alt', keys);
      assert.deepEqual(shape(await list(store, { bucket: 'alt', delimiter: 'a', maxKeys: 1000 })),
        { contents: ['foo', 'p\u2192q', 'p\u2192r\u2192s', 'x--w', 'x--y--z'], commonPrefixes: ['ba', 'ca'], isTruncated: false, nextAfter: undefined });
      assert.deepEqual(shape(await list(store, { bucket: 'alt', delimiter: '--', prefix: 'x--', maxKeys: 1000 })),
        { contents: ['x--w'], commonPrefixes: ['x--y--'], isTruncated: false, nextAfter: undefined });
      assert.deepEqual(shape(await list(store, { bucket: 'alt', delimiter: '\u2192', prefix: 'p', maxKeys: 1000 })),
        { contents: [], commonPrefixes: ['p\u2192'], isTruncated: false, nextAfter: undefined });
      const none = await list(store, { bucket: 'alt', delimiter: '', maxKeys: 1000 });
      assert.deepEqual(none.contents.map((o) => o.key), [...keys].sort(byteCompare));
      assert.deepEqual(none.commonPrefixes, []);
    });

    it('returns nothing and is not truncated for max-keys 0', async () => {
      const store = getStore();
      await seed(store, 'zero', TREE);
      for (const delimiter of [undefined, '/']) {
        assert.deepEqual(shape(await list(store, { bucket: 'zero', maxKeys: 0, delimiter })),
          { contents: [], commonPrefixes: [], isTruncated: false, nextAfter: undefined });
      }
    });

    it('is not truncated when exactly max-keys entries remain', async () => {
      const store = getStore();
      await seed(store, 'exact', ['a', 'b', 'c/1', 'c/2']);
      assert.deepEqual(shape(await list(store, { bucket: 'exact', maxKeys: 3, delimiter: '/' })),
        { contents: ['a', 'b'], commonPrefixes: ['c/'], isTruncated: false, nextAfter: undefined });
      assert.equal((await list(store, { bucket: 'exact', maxKeys: 3 })).isTruncated, true);
    });

    it('pages 2,500 keys 1,000 at a time', async () => {
      const store = getStore();
      const keys = Array.from({ length: 2500 }, (_, i) => `k/${String(i).padStart(5, '0')}`);
      await seed(store, 'many', keys);
      const sizes: number[] = [];
      let after: string | undefined;
      const seen: string[] = [];
      for (;;) {
        const page = await list(store, { bucket: 'many', maxKeys: 1000, after });
        sizes.push(page.contents.length);
        seen.push(...page.contents.map((o) => o.key));
        if (!page.isTruncated) break;
        after = page.nextAfter;
      }
      assert.deepEqual(sizes, [1000, 1000, 500]);
      assert.deepEqual(seen, keys);
    });

    it('pages 1,200 common prefixes (each over several keys) 1,000 at a time', async () => {
      const store = getStore();
      const keys = Array.from({ length: 1200 }, (_, i) => [`d${String(i).padStart(4, '0')}/x`, `d${String(i).padStart(4, '0')}/y/z`]).flat();
      await seed(store, 'dirs', [...keys, 'top']);
      const first = await list(store, { bucket: 'dirs', maxKeys: 1000, delimiter: '/' });
      assert.equal(first.commonPrefixes.length, 1000);
      assert.equal(first.isTruncated, true);
      assert.equal(first.nextAfter, 'd0999/');
      const second = await list(store, { bucket: 'dirs', maxKeys: 1000, delimiter: '/', after: first.nextAfter });
      assert.equal(second.commonPrefixes.length, 200);
      assert.equal(second.commonPrefixes[0], 'd1000/');
      assert.deepEqual(second.contents.map((o) => o.key), ['top']);
      assert.equal(second.isTruncated, false);
    });

    it('matches a naive model on random keys, prefixes, delimiters, markers and page sizes', async () => {
      const store = getStore();
      const alphabet = ['a', 'b', '/', '-', '\u00e9', '\uFFFD', '\u{1F600}', 'z'];
      const text = (max: number) => fc.array(fc.constantFrom(...alphabet), { maxLength: max }).map((cs) => cs.join(''));
      let n = 0;
      await fc.assert(fc.asyncProperty(
        fc.uniqueArray(text(6).filter((k) => k.length > 0), { maxLength: 25 }),
        fc.constantFrom(undefined, '', 'a', 'a/', '/', '\u00e9', '\u{1F600}', 'b-'),
        fc.constantFrom(undefined, '', '/', '-', 'b', '\u00e9', '/-', '\u{1F600}'),
        fc.option(text(4), { nil: undefined }),
        fc.integer({ min: 0, max: 6 }),
        async (keys, prefix, delimiter, after, maxKeys) => {
          const bucket = `prop-${n++}`;
          await seed(store, bucket, keys);
          const q = { prefix, delimiter, after, maxKeys };
          assert.deepEqual(shape(await list(store, { bucket, ...q })), modelList(keys, q));
          if (maxKeys > 0) {
            const all = await listAll(store, bucket, { prefix, delimiter, maxKeys });
            assert.deepEqual(all.entries, modelEntries(keys, { prefix, delimiter }).map((e) => e.value));
          }
        },
      ), { numRuns: 150 });
    });
  });
}
