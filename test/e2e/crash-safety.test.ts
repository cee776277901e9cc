import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32c } from '@aws-crypto/crc32c';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../helpers/clients.js';
import { integrityProblems, readDiskState } from '../helpers/disk-state.js';
import '../helpers/sdk-js.js';
import { startServer, type TestServer } from '../helpers/server.js';

const BUCKET = 'crash-e2e';
const KEYS = ['alpha', 'beta', 'gamma/delta'];
const ROUNDS = 24;
const PUTS_PER_ROUND = 4;
const MiB = 1024 * 1024;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

function crc32cBase64(bytes: Uint8Array): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32c(bytes) >>> 0);
  return out.toString('base64');
}

/**
 * After every restart each key must hold one complete body that was ever
 * written to it (old or new, never a torn mix), the metadata must point only
 * at whole blob files, and start-up recovery must have emptied tmp/ and swept
 * orphan blobs.
 */
async function verify(server: TestServer, written: ReadonlyMap<string, ReadonlySet<string>>, round: number): Promise<Map<string, string>> {
  const current = new Map<string, string>();
  assert.deepEqual(integrityProblems(readDiskState(server.dataDir), { expectCleanTemp: true, expectNoOrphans: true }), [], `round ${round}, after restart`);
  const client = s3Client(server);
  try {
    for (const key of KEYS) {
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const body = await got.Body!.transformToByteArray();
      current.set(key, sha256(body));
      assert.ok(written.get(key)?.has(sha256(body)), `round ${round}: ${key} holds ${body.length} bytes that were never written whole`);
      assert.equal(got.ETag, `"${md5(body)}"`, `round ${round}: ${key}'s ETag matches its bytes`);
    }
  } finally {
    client.destroy();
  }
  return current;
}

test(`SIGKILL during PUTs, ${ROUNDS} rounds: every key stays whole, metadata never points at a missing or short blob`, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-crash-'));
  const written = new Map<string, Set<string>>(KEYS.map((k) => [k, new Set<string>()]));
  let server: TestServer | undefined;
  let completed = 0;
  let interrupted = 0;
  let changedKeys = 0;
  let current = new Map<string, string>();
  try {
    server = await startServer({ dataDir });
    const setup = s3Client(server);
    await setup.send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (const key of KEYS) {
      const body = randomBytes(randomInt(MiB, 4 * MiB));
      written.get(key)!.add(sha256(body));
      await setup.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    }
    // How long an uninterrupted batch takes here: kills are spread over the
    // first half of that (at least 0-150 ms), so some land before the commit
    // and some after, in every phase of a write.
    let elapsed = 0;
    for (let batch = 0; batch < 2; batch++) {
      // The first batch warms the client and server up; the second is timed.
      const started = performance.now();
      await Promise.all(
        Array.from({ length: PUTS_PER_ROUND }, (_, i) => {
          const key = KEYS[i % KEYS.length]!;
          const body = randomBytes(randomInt(MiB, 4 * MiB));
          written.get(key)!.add(sha256(body));
          return setup.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ChecksumCRC32C: crc32cBase64(body) }));
        }),
      );
      elapsed = performance.now() - started;
    }
    const window = Math.max(150, Math.round(elapsed / 2));
    t.diagnostic(`kill window: 0-${window} ms`);
    setup.destroy();
    current = await verify(server, written, 0);

    for (let round = 1; round <= ROUNDS; round++) {
      const client = s3Client(server);
      const puts = Array.from({ length: PUTS_PER_ROUND }, () => {
        const key = KEYS[randomInt(KEYS.length)]!;
        const body = randomBytes(randomInt(MiB, 4 * MiB));
        // Recorded before sending: a PUT may commit even though its answer is lost to the kill.
        written.get(key)!.add(sha256(body));
        // Settled at once: the kill rejects these while the test is still sleeping.
        return client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body })).then(
          () => true,
          () => false,
        );
      });
      await sleep(randomInt(0, window + 1));
      await server.kill();
      const answered = await Promise.all(puts);
      client.destroy();
      completed += answered.filter(Boolean).length;
      interrupted += answered.filter((ok) => !ok).length;
      // Before any recovery: committed rows already point at whole, durable blobs.
      assert.deepEqual(integrityProblems(readDiskState(dataDir), { expectCleanTemp: false, expectNoOrphans: false }), [], `round ${round}, right after the kill`);

      server = await startServer({ dataDir });
      const now = await verify(server, written, round);
      changedKeys += KEYS.filter((key) => now.get(key) !== current.get(key)).length;
      current = now;
    }
    t.diagnostic(`PUTs answered before the kill: ${completed}; cut off: ${interrupted}; keys found changed after a restart: ${changedKeys}`);
    assert.ok(interrupted > 0, 'some PUTs were cut off by the kill, or the test proves nothing');
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
