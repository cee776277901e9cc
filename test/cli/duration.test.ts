import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDurationSeconds } from '../../src/duration.js';

test('a duration is seconds, or a count of s, m, h or d', () => {
  const cases: Array<[string, number]> = [['3600', 3600], ['90s', 90], ['15m', 900], [' 12h ', 43_200], ['7d', 604_800], ['0', 0]];
  for (const [text, seconds] of cases) assert.equal(parseDurationSeconds(text), seconds, text);
});

test('anything else is not a duration', () => {
  for (const text of ['', 'soon', '15 m', '1.5h', '-1', '7w', '1d2h', '15M', '1234567890']) assert.equal(parseDurationSeconds(text), undefined, text);
});

test('a bare number is refused where a unit is required (--since, as before)', () => {
  assert.equal(parseDurationSeconds('3600', { unitRequired: true }), undefined);
  assert.equal(parseDurationSeconds('2h', { unitRequired: true }), 7200);
});
