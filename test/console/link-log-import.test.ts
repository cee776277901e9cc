import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { importLinkLog } from '../../src/console/link-log-import.js';
import { issuedLink } from '../helpers/console-contract.js';
import { sqliteFixture, type StoreFixture } from '../helpers/store-fixtures.js';

describe('console links logged to a file by earlier versions', () => {
  let fixture: StoreFixture;
  let dir: string;
  before(async () => {
    fixture = await sqliteFixture();
    dir = mkdtempSync(join(tmpdir(), 'latchkey-linklog-'));
  });
  after(async () => {
    await fixture.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('move into the metadata database once, revocations included, and a torn last line is skipped', async () => {
    const file = join(dir, 'links.jsonl');
    const kept = issuedLink('kept', { createdAt: '2026-01-02T04:00:00.000Z' });
    const revoked = issuedLink('gone', { createdAt: '2026-01-02T05:00:00.000Z', maxUses: 1 });
    writeFileSync(file, [
      JSON.stringify({ type: 'issued', link: kept }),
      JSON.stringify({ type: 'issued', link: revoked }),
      JSON.stringify({ type: 'revoked', id: 'gone', at: '2026-01-02T06:00:00.000Z' }),
      JSON.stringify({ type: 'revoked', id: 'unknown', at: '2026-01-02T06:00:00.000Z' }),
      '{"type":"issued","link":{"id":"torn"',
    ].join('\n'));
    assert.equal(await importLinkLog(file, fixture.store.console), 2);
    assert.deepEqual(await fixture.store.console.listIssuedLinks(undefined), [{ ...revoked, revokedAt: '2026-01-02T06:00:00.000Z' }, kept]);
    assert.equal(existsSync(file), false);
    assert.equal(existsSync(`${file}.imported`), true);
    assert.equal(await importLinkLog(file, fixture.store.console), 0, 'read once');
    assert.equal((await fixture.store.console.listIssuedLinks(undefined)).length, 2);
  });
});
