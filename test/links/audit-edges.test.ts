import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditLog } from '../../src/links/audit-log.js';
import type { LinkAuditRecord } from '../../src/storage/link-store.js';
import { SqliteMetadataStore } from '../../src/storage/sqlite/sqlite-metadata-store.js';

/*
 * The audit log's batching and its behaviour while the database refuses
 * writes, in-process against the real SQLite store. The refusal is the
 * database's own: a trigger (added through a second connection, as an
 * operator's full disk would) aborts every insert into link_audit until it
 * is dropped.
 */

let dir: string;
let file: string;
let metadata: SqliteMetadataStore;
let admin: Database.Database;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-audit-edges-'));
  file = join(dir, 'meta.db');
  metadata = new SqliteMetadataStore(file);
  admin = new Database(file);
});
after(async () => {
  admin?.close();
  await metadata?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const refuseWrites = () => admin.exec("CREATE TRIGGER refuse_audit BEFORE INSERT ON link_audit BEGIN SELECT RAISE(ABORT, 'disk full'); END");
const acceptWrites = () => admin.exec('DROP TRIGGER IF EXISTS refuse_audit');

let serial = 0;
function entry(link: string): LinkAuditRecord {
  return {
    at: new Date(Date.UTC(2030, 0, 1) + serial++), link, accessKeyId: 'AKID', userName: 'alice', method: 'GET', bucket: 'b', key: `k${serial}`,
    status: 200, bytes: 1, clientIp: '127.0.0.1', userAgent: null,
  };
}

async function stored(link: string): Promise<string[]> {
  return (await metadata.links.queryAudit({ link, limit: 10_000 })).records.map((r) => r.key ?? '');
}

/** An audit log whose timer never fires during a test: only batches, flush and close write. */
function auditLog(warnings: string[], options: { batchSize?: number; maxPending?: number; closeRetries?: number; closeRetryMs?: number } = {}): AuditLog {
  return new AuditLog(metadata.links, { warn: (message) => warnings.push(message), intervalMs: 3_600_000, ...options });
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await condition()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(await condition());
}

describe('audit log batches', () => {
  it('a full batch is written without waiting for the timer; a smaller one waits', async () => {
    const warnings: string[] = [];
    const log = auditLog(warnings, { batchSize: 3 });
    log.record(entry('batch'));
    log.record(entry('batch'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(await stored('batch'), [], 'two of three: nothing yet');
    log.record(entry('batch'));
    await until(async () => (await stored('batch')).length === 3);
    // And the next full batch too.
    for (let i = 0; i < 3; i++) log.record(entry('batch'));
    await until(async () => (await stored('batch')).length === 6);
    await log.close();
    assert.deepEqual(warnings, []);
  });

  it('the default batch is 500 records', async () => {
    const log = auditLog([]);
    for (let i = 0; i < 499; i++) log.record(entry('default'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await stored('default')).length, 0);
    log.record(entry('default'));
    await until(async () => (await stored('default')).length === 500);
    await log.close();
  });

  it('writes on its interval', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const log = new AuditLog(metadata.links, { warn: (message) => assert.fail(message), intervalMs: 20 });
    log.record(entry('timer'));
    t.mock.timers.tick(20);
    // The store's own timers are real ones again for the check.
    t.mock.timers.reset();
    await until(async () => (await stored('timer')).length === 1);
    await log.close();
  });

  it('flush resolves once what was recorded is written; an empty flush writes nothing', async () => {
    const log = auditLog([]);
    await log.flush();
    log.record(entry('flush'));
    await log.flush();
    assert.equal((await stored('flush')).length, 1);
    await log.close();
  });
});

describe('while the database refuses writes', () => {
  it('keeps the batch in order for the next try, and says so', async () => {
    const warnings: string[] = [];
    const log = auditLog(warnings);
    log.record(entry('refused'));
    log.record(entry('refused'));
    refuseWrites();
    try {
      await log.flush();
      log.record(entry('refused'));
      await log.flush();
    } finally {
      acceptWrites();
    }
    assert.deepEqual(warnings, ['could not write 2 link audit records; retrying', 'could not write 3 link audit records; retrying']);
    assert.deepEqual(await stored('refused'), []);
    await log.flush();
    const keys = await stored('refused');
    assert.equal(keys.length, 3);
    // Oldest first once written (queryAudit returns oldest first).
    assert.deepEqual(keys, [...keys].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))));
    await log.close();
  });

  it('beyond maxPending the oldest go, and the warning counts them', async () => {
    const warnings: string[] = [];
    const log = auditLog(warnings, { maxPending: 3 });
    const first = entry('overflow');
    for (let i = 0; i < 5; i++) log.record(i === 0 ? first : entry('overflow'));
    refuseWrites();
    try {
      await log.flush();
    } finally {
      acceptWrites();
    }
    assert.deepEqual(warnings, ['could not write 5 link audit records; retrying, but 2 (the oldest) are lost: more than 3 waited']);
    await log.flush();
    const keys = await stored('overflow');
    assert.equal(keys.length, 3);
    assert.ok(!keys.includes(first.key ?? ''));
    await log.close();
  });

  it('at exactly maxPending nothing is lost', async () => {
    const warnings: string[] = [];
    const log = auditLog(warnings, { maxPending: 2 });
    log.record(entry('exact'));
    log.record(entry('exact'));
    refuseWrites();
    try {
      await log.flush();
    } finally {
      acceptWrites();
    }
    assert.deepEqual(warnings, ['could not write 2 link audit records; retrying']);
    await log.flush();
    assert.equal((await stored('exact')).length, 2);
    await log.close();
  });

  it('on close, tries again until the database accepts them', async () => {
    const warnings: string[] = [];
    const log = auditLog(warnings, { closeRetries: 50, closeRetryMs: 10 });
    log.record(entry('retried'));
    refuseWrites();
    const closing = log.close();
    await until(() => Promise.resolve(warnings.length >= 2));
    acceptWrites();
    await closing;
    assert.equal((await stored('retried')).length, 1);
    assert.ok(warnings.every((w) => w === 'could not write 1 link audit records; retrying'), warnings.join('\n'));
  });

  it('on close, gives up after its retries and says how many records are lost', async () => {
    const warnings: string[] = [];
    const log = auditLog(warnings, { closeRetries: 2, closeRetryMs: 1 });
    log.record(entry('lost'));
    log.record(entry('lost'));
    refuseWrites();
    try {
      await log.close();
    } finally {
      acceptWrites();
    }
    assert.deepEqual(warnings, [
      'could not write 2 link audit records; retrying',
      'could not write 2 link audit records; retrying',
      'could not write 2 link audit records; retrying',
      'lost 2 link audit records: the database refused them until shutdown',
    ]);
    assert.deepEqual(await stored('lost'), []);
  });

  it('on close, retries 10 times by default, half a second apart', async () => {
    const warnings: string[] = [];
    const log = auditLog(warnings);
    log.record(entry('default-retries'));
    refuseWrites();
    const started = Date.now();
    try {
      await log.close();
    } finally {
      acceptWrites();
    }
    assert.equal(warnings.length, 12);
    assert.ok(Date.now() - started >= 10 * 500 - 50, `${Date.now() - started} ms`);
  });
});
