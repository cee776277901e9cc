import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadServerConfig, parseSize } from '../../src/server/config.js';

const MiB = 1024 * 1024;

test('--min-free: 1GiB by default, LATCHKEY_MIN_FREE, the flag wins; 64MiB/512MiB/1GiB forms; nonsense refused', () => {
  assert.equal(loadServerConfig([], {}).minFreeBytes, 1024 * MiB);
  assert.equal(loadServerConfig([], { LATCHKEY_MIN_FREE: '512MiB' }).minFreeBytes, 512 * MiB);
  assert.equal(loadServerConfig(['--min-free', '64MiB'], { LATCHKEY_MIN_FREE: '512MiB' }).minFreeBytes, 64 * MiB);
  assert.equal(parseSize('--min-free', '1GiB'), 1024 * MiB);
  assert.equal(parseSize('--min-free', '500MB'), 500_000_000);
  assert.equal(parseSize('--min-free', '0'), 0);
  for (const bad of ['lots', '1.5GiB', '-1', '10 parsecs', '']) assert.throws(() => loadServerConfig([], { LATCHKEY_MIN_FREE: bad }), ConfigError, bad);
});

test('--body-timeout: 60s by default, LATCHKEY_BODY_TIMEOUT, the flag wins; the same durations as elsewhere', () => {
  assert.equal(loadServerConfig([], {}).bodyTimeoutMs, 60_000);
  assert.equal(loadServerConfig([], { LATCHKEY_BODY_TIMEOUT: '2m' }).bodyTimeoutMs, 120_000);
  assert.equal(loadServerConfig(['--body-timeout', '2s'], { LATCHKEY_BODY_TIMEOUT: '2m' }).bodyTimeoutMs, 2000);
  for (const bad of ['0', 'soon', '1w']) assert.throws(() => loadServerConfig(['--body-timeout', bad], {}), ConfigError, bad);
});
