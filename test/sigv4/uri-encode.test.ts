import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { percentDecode } from '../../src/sigv4/uri-encode.js';

/** The plain definition the fast path must agree with: every run of escapes through UTF-8. */
function referenceDecode(value: string, plusIsSpace: boolean): string {
  const text = plusIsSpace ? value.replace(/\+/g, ' ') : value;
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

const PIECES = ['%2F', '%2f', '%41', '%7E', '%7F', '%80', '%C3', '%A9', '%C3%A9', '%E2%82%AC', '%F0%9F%98%80', '%FF', '%00', '%', '%2', '%zz', '+', '/', 'a', 'é', '\uD800', ' '];

test('percentDecode agrees with decoding every escape run as UTF-8 (ASCII runs take a shortcut)', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 3 })), { maxLength: 12 }), fc.boolean(), (pieces, plus) => {
      const value = pieces.join('');
      assert.equal(percentDecode(value, plus), referenceDecode(value, plus), JSON.stringify(value));
    }),
    { seed: 20261129, numRuns: 5000 },
  );
  assert.equal(percentDecode('AKID%2F20261129%2Fus-east-1%2Fs3%2Faws4_request'), 'AKID/20261129/us-east-1/s3/aws4_request');
  assert.equal(percentDecode('%41%C3%A9%2F'), 'Aé/');
  assert.equal(percentDecode('%C3'), '\uFFFD');
  assert.equal(percentDecode('a+b', true), 'a b');
  assert.equal(percentDecode('a+b'), 'a+b');
});
