import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseAmzDate } from '../../src/sigv4/amz-date.js';

/** The plain definition: a basic-format instant is valid when its extended ISO form survives a round trip through Date. */
function referenceParse(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`;
  const ms = Date.parse(iso);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === iso ? ms : undefined;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

test('parseAmzDate agrees with a round trip through Date on generated instants, real and not', () => {
  const fields = fc.tuple(
    fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(1900, 2000, 2023, 2024, 2100, 2400)),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 61 }),
    fc.integer({ min: 0, max: 61 }),
  );
  fc.assert(
    fc.property(fields, ([y, mo, d, h, mi, s]) => {
      const text = `${pad(y, 4)}${pad(mo, 2)}${pad(d, 2)}T${pad(h, 2)}${pad(mi, 2)}${pad(s, 2)}Z`;
      assert.equal(parseAmzDate(text), referenceParse(text), text);
    }),
    { seed: 20261129, numRuns: 20000 },
  );
});

test('parseAmzDate: leap days, month ends, and malformed text', () => {
  assert.equal(parseAmzDate('20150830T123600Z'), Date.UTC(2015, 7, 30, 12, 36, 0));
  assert.equal(parseAmzDate('20240229T000000Z'), Date.UTC(2024, 1, 29));
  assert.equal(parseAmzDate('20000229T235959Z'), Date.UTC(2000, 1, 29, 23, 59, 59));
  for (const bad of ['20230229T000000Z', '19000229T000000Z', '20150231T000000Z', '20150431T000000Z', '20151301T000000Z', '20150001T000000Z',
    '20150100T000000Z', '20150101T240000Z', '20150101T006000Z', '20150101T000060Z', '20150101T000000', '2015-01-01T00:00:00Z',
    '20150101t000000Z', ' 20150101T000000Z', '２0150101T000000Z', '']) {
    assert.equal(parseAmzDate(bad), undefined, bad);
  }
  // Years below 100 are those years, not 1900 onwards as Date.UTC would read them.
  assert.equal(new Date(parseAmzDate('00500101T000000Z') ?? NaN).getUTCFullYear(), 50);
});
