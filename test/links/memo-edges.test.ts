import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { linkId } from '../../src/links/link-identity.js';
import { LinkMemo } from '../../src/links/link-memo.js';
import { parseQuery } from '../../src/sigv4/canonical-query.js';

/*
 * The memo of link ids and controls in-process: what it remembers (the same
 * object comes back), by what, and what it never remembers (upload links,
 * queries past 4 KiB). Each memo is made inside its test, so a memo that
 * cannot be made fails that test.
 */

const SIGNATURE = 'AB'.repeat(32);
const request = (method: string, rawQuery: string) => ({ method, rawQuery, queryPairs: parseQuery(rawQuery) });
/** A query of exactly `length` characters, with a use limit. */
const queryOf = (length: number) => {
  const head = 'X-Latchkey-Max-Uses=3&pad=';
  return head + 'p'.repeat(length - head.length);
};

describe('link ids', () => {
  it('are the SigV4 link id of the signature, in any case of its hex, again and again', () => {
    const memo = new LinkMemo();
    const { v4Id } = memo;
    assert.equal(v4Id(SIGNATURE), linkId(4, SIGNATURE));
    assert.equal(v4Id(SIGNATURE), linkId(4, SIGNATURE));
    assert.equal(v4Id(SIGNATURE.toLowerCase()), linkId(4, SIGNATURE));
    assert.notEqual(v4Id('cd'.repeat(32)), linkId(4, SIGNATURE));
  });
});

describe('link controls', () => {
  it('a download\'s are read once and remembered by the raw query, GET and HEAD alike', () => {
    const memo = new LinkMemo();
    const first = memo.controlsOf(request('GET', 'X-Latchkey-Max-Uses=3'));
    assert.deepEqual(first, { maxUses: 3 });
    assert.equal(memo.controlsOf(request('GET', 'X-Latchkey-Max-Uses=3')), first);
    assert.equal(memo.controlsOf(request('HEAD', 'X-Latchkey-Max-Uses=3')), first);
    // The raw query is the key: pairs that say otherwise are not read again.
    assert.equal(memo.controlsOf({ method: 'GET', rawQuery: 'X-Latchkey-Max-Uses=3', queryPairs: [] }), first);
    const head = memo.controlsOf(request('HEAD', 'X-Latchkey-Max-Uses=4'));
    assert.deepEqual(head, { maxUses: 4 });
    assert.equal(memo.controlsOf(request('GET', 'X-Latchkey-Max-Uses=4')), head);
    assert.deepEqual(memo.controlsOf(request('GET', 'X-Latchkey-Source-Ip=10.0.0.1')).sourceIp?.text, '10.0.0.1');
  });

  it('an upload\'s are read afresh each time, and never remembered for a download of the same query', () => {
    const memo = new LinkMemo();
    for (const method of ['PUT', 'POST', 'DELETE', '']) {
      const rawQuery = `X-Latchkey-Max-Uses=5&method=${method}`;
      const first = memo.controlsOf(request(method, rawQuery));
      assert.deepEqual(first, { maxUses: 5 });
      const again = memo.controlsOf(request(method, rawQuery));
      assert.notEqual(again, first, method);
      assert.notEqual(memo.controlsOf(request('GET', rawQuery)), again, method);
    }
    // Nor does an upload get a download's, or replace it.
    const download = memo.controlsOf(request('GET', 'X-Latchkey-Max-Uses=6'));
    assert.notEqual(memo.controlsOf(request('PUT', 'X-Latchkey-Max-Uses=6')), download);
    assert.deepEqual(memo.controlsOf({ method: 'PUT', rawQuery: 'X-Latchkey-Max-Uses=6', queryPairs: [] }), {});
    assert.equal(memo.controlsOf(request('GET', 'X-Latchkey-Max-Uses=6')), download);
  });

  it('a query up to 4 KiB is remembered; a longer one is read afresh each time, and never remembered', () => {
    const memo = new LinkMemo();
    const fits = request('GET', queryOf(4096));
    const remembered = memo.controlsOf(fits);
    assert.deepEqual(remembered, { maxUses: 3 });
    assert.equal(memo.controlsOf(fits), remembered);
    const long = request('GET', queryOf(4097));
    const first = memo.controlsOf(long);
    assert.deepEqual(first, { maxUses: 3 });
    assert.notEqual(memo.controlsOf(long), first);
  });
});
