import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SmallBlobCache } from '../../src/storage/small-blob-cache.js';

describe('SmallBlobCache', () => {
  it('keeps at most its capacity in bytes, dropping the least recently used first', () => {
    const cache = new SmallBlobCache(10);
    cache.set('a', Buffer.alloc(4, 'a'));
    cache.set('b', Buffer.alloc(4, 'b'));
    assert.ok(cache.get('a'), 'a is used again, so b is now the oldest');
    cache.set('c', Buffer.alloc(4, 'c'));
    assert.equal(cache.get('b'), undefined);
    assert.deepEqual(cache.get('a'), Buffer.alloc(4, 'a'));
    assert.deepEqual(cache.get('c'), Buffer.alloc(4, 'c'));
    assert.equal(cache.size, 8);
  });

  it('never holds an entry larger than its capacity, and forgets deleted blobs', () => {
    const cache = new SmallBlobCache(10);
    cache.set('big', Buffer.alloc(11));
    assert.equal(cache.get('big'), undefined);
    assert.equal(cache.size, 0);
    cache.set('x', Buffer.alloc(3));
    cache.set('x', Buffer.alloc(5));
    assert.equal(cache.size, 5, 'replacing an entry counts it once');
    cache.delete('x');
    assert.equal(cache.get('x'), undefined);
    assert.equal(cache.size, 0);
  });
});
