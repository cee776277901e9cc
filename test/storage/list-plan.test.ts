import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runListing, runListingSync, type ListRow, type RangeRead } from '../../src/storage/list-plan.js';
import { encodeKey, prefixUpperBound, successor } from '../../src/storage/object-key.js';
import type { ListObjectsQuery } from '../../src/storage/types.js';
import { modelList } from '../helpers/list-model.js';

/** An in-memory ordered index that counts what the plan asks of it. */
function fakeIndex(keys: readonly string[]) {
  const sorted = keys.map((k) => Buffer.from(k, 'utf8')).sort((a, b) => Buffer.compare(a, b));
  const stats = { reads: 0, rows: 0, unbounded: 0 };
  const read = (range: RangeRead): ListRow[] => {
    stats.reads++;
    if (range.to === null) stats.unbounded++;
    let i = sorted.findIndex((k) => Buffer.compare(k, range.from) >= 0);
    if (i < 0) i = sorted.length;
    const out: ListRow[] = [];
    for (; i < sorted.length && out.length < range.limit; i++) {
      const key = sorted[i]!;
      if (range.to !== null && Buffer.compare(key, range.to) >= 0) break;
      out.push({ keyBytes: key, size: 0, etag: '', lastModified: new Date(0), checksumAlgorithms: [] });
    }
    stats.rows += out.length;
    return out;
  };
  return { read, stats };
}

const pad = (i: number) => String(i).padStart(5, '0');

describe('planListing efficiency', () => {
  it('rolls a 5,000-key group up with one seek instead of reading it', () => {
    const keys = ['a', ...Array.from({ length: 5000 }, (_, i) => `big/${pad(i)}`), 'c/1', 'd'];
    const { read, stats } = fakeIndex(keys);
    const page = runListingSync({ bucket: 'b', delimiter: '/', maxKeys: 1000 }, read);
    assert.deepEqual(page.contents.map((o) => o.key), ['a', 'd']);
    assert.deepEqual(page.commonPrefixes, ['big/', 'c/']);
    assert.ok(stats.rows <= 10, `read ${stats.rows} rows`);
    assert.ok(stats.reads <= 10, `made ${stats.reads} reads`);
  });

  it('reads exactly max-keys + 1 rows for a page of plain keys, in few reads', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `k${pad(i)}`);
    const { read, stats } = fakeIndex(keys);
    const page = runListingSync({ bucket: 'b', maxKeys: 1000 }, read);
    assert.equal(page.contents.length, 1000);
    assert.equal(page.isTruncated, true);
    assert.equal(stats.rows, 1001);
    assert.ok(stats.reads <= 12, `made ${stats.reads} reads`);
  });

  it('reads one row per common prefix when a page is all prefixes', () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `d${pad(i >> 1)}/${i & 1}`);
    const { read, stats } = fakeIndex(keys);
    const page = runListingSync({ bucket: 'b', delimiter: '/', maxKeys: 1000 }, read);
    assert.equal(page.commonPrefixes.length, 1000);
    assert.equal(page.nextAfter, `d${pad(999)}/`);
    assert.equal(stats.rows, 1001);
  });

  it('bounds every read by the prefix, so keys after it are never scanned', () => {
    const keys = ['m1', 'm2', ...Array.from({ length: 2000 }, (_, i) => `z${pad(i)}`)];
    const { read, stats } = fakeIndex(keys);
    const page = runListingSync({ bucket: 'b', prefix: 'm', maxKeys: 1000 }, read);
    assert.deepEqual(page.contents.map((o) => o.key), ['m1', 'm2']);
    assert.equal(stats.unbounded, 0);
    assert.equal(stats.rows, 2);
  });

  it('makes no read at all for max-keys 0 or a marker past the prefix', () => {
    const { read, stats } = fakeIndex(['a', 'b']);
    runListingSync({ bucket: 'b', maxKeys: 0 }, read);
    runListingSync({ bucket: 'b', prefix: 'a', after: 'b', maxKeys: 10 }, read);
    assert.equal(stats.reads, 0);
  });

  it('gives the same page through the async runner', async () => {
    const keys = ['x/1', 'x/2', 'y', 'z/9', '\u{1F600}', '\uFFFD'];
    const query: ListObjectsQuery = { bucket: 'b', delimiter: '/', maxKeys: 3, after: 'x/' };
    const sync = runListingSync(query, fakeIndex(keys).read);
    const { read } = fakeIndex(keys);
    const asyncPage = await runListing(query, (range) => Promise.resolve(read(range)));
    assert.deepEqual(asyncPage, sync);
    const model = modelList(keys, query);
    assert.deepEqual({ contents: sync.contents.map((o) => o.key), commonPrefixes: sync.commonPrefixes, isTruncated: sync.isTruncated, nextAfter: sync.nextAfter }, model);
  });
});

describe('key byte helpers', () => {
  it('computes the exclusive upper bound of a prefix', () => {
    assert.equal(prefixUpperBound(Buffer.alloc(0)), null);
    assert.deepEqual(prefixUpperBound(Buffer.from('a')), Buffer.from('b'));
    assert.deepEqual(prefixUpperBound(Buffer.from([0x61, 0xff, 0xff])), Buffer.from('b'));
    assert.equal(prefixUpperBound(Buffer.from([0xff])), null);
    assert.deepEqual(prefixUpperBound(Buffer.from('a/')), Buffer.from('a0'));
  });

  it('computes the immediate successor of a key', () => {
    assert.deepEqual(successor(Buffer.from('ab')), Buffer.from([0x61, 0x62, 0x00]));
  });

  it('encodes keys as UTF-8 and enforces S3\'s limits', () => {
    assert.deepEqual(encodeKey('\u{1F600}'), Buffer.from([0xf0, 0x9f, 0x98, 0x80]));
    assert.throws(() => encodeKey('x'.repeat(1025)), { code: 'KeyTooLongError', status: 400 });
    assert.throws(() => encodeKey('\udc00'), { code: 'InvalidArgument', status: 400 });
  });
});
