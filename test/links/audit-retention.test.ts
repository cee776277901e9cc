import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ConfigError, loadServerConfig } from '../../src/server/config.js';
import { adminCall, expectStatus } from '../helpers/admin-client.js';
import { s3Client } from '../helpers/clients.js';
import { expectBody, link } from '../helpers/links.js';
import { loggedLines, startServer, type TestServer } from '../helpers/server.js';

interface Log {
  readonly entries: readonly { readonly key: string | null; readonly status: number }[];
}

async function seed(server: TestServer): Promise<void> {
  const s3 = s3Client(server);
  await s3.send(new CreateBucketCommand({ Bucket: 'kept' }));
  await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'a.txt', Body: 'a' }));
  s3.destroy();
}

const keys = async (server: TestServer) => expectStatus(await adminCall<Log>(server, 'GET', '/links/log'), 200).entries.map((e) => e.key);

describe('link audit retention and shutdown', () => {
  it('reads --audit-retention and LATCHKEY_AUDIT_RETENTION (flag first, default 30 days)', () => {
    assert.equal(loadServerConfig([], {}).auditRetentionMs, 30 * 86_400_000);
    assert.equal(loadServerConfig([], { LATCHKEY_AUDIT_RETENTION: '12h' }).auditRetentionMs, 12 * 3_600_000);
    assert.equal(loadServerConfig(['--audit-retention', '90s'], { LATCHKEY_AUDIT_RETENTION: '12h' }).auditRetentionMs, 90_000);
    for (const bad of ['0', '30 days', '1w', 'forever']) assert.throws(() => loadServerConfig(['--audit-retention', bad], {}), ConfigError, bad);
  });

  it('writes the records still in memory when the server stops', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-audit-'));
    try {
      const first = await startServer({ dataDir });
      await seed(first);
      await expectBody(await fetch(link(first, 'kept', 'a.txt')), 'a');
      // Well inside the one-second batch: only the shutdown flush can have written it.
      assert.equal(await first.stop(), 0);
      const second = await startServer({ dataDir });
      try {
        assert.deepEqual(await keys(second), ['a.txt']);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('sweeps records older than the retention', async () => {
    const server = await startServer({ args: ['--audit-retention', '2s'] });
    try {
      await seed(server);
      await expectBody(await fetch(link(server, 'kept', 'a.txt')), 'a');
      assert.deepEqual(await keys(server), ['a.txt'], server.logs.join('\n'));
      const deadline = Date.now() + 10_000;
      while ((await keys(server)).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
      assert.deepEqual(await keys(server), []);
      assert.ok((await loggedLines(server, (line) => line.includes('swept link records'))).length > 0, server.logs.join('\n'));
    } finally {
      await server.stop();
    }
  });
});
