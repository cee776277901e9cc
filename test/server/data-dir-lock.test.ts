import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from '../../src/server/data-dir-lock.js';

test('a held data dir is refused at once, without waiting on the lock, and free again once released', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-lock-unit-'));
  try {
    const held = lockDataDir(dir);
    // SQLite sees the conflict within one process too (its own table of locks per file), so this needs no second process.
    const started = Date.now();
    assert.throws(() => lockDataDir(dir), (error: unknown) => error instanceof DataDirInUseError && error.message.includes(dir));
    assert.ok(Date.now() - started < 1000, `refused in ${Date.now() - started} ms: no busy wait`);
    assert.deepEqual(readdirSync(dir), [LOCK_FILE], 'the lock is one file, no journal beside it');
    held.release();
    lockDataDir(dir).release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
