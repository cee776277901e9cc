import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Identities, SESSION_KEY_PREFIX, userKeyId } from '../../src/identity/identities.js';
import { SecretBox } from '../../src/identity/secret-box.js';
import { SqliteMetadataStore } from '../../src/storage/sqlite/sqlite-metadata-store.js';

describe('access key ids: user keys and session keys never mistaken for each other', () => {
  it('never gives a user key the session prefix (it used to, 1 time in 1,024)', () => {
    // 20,000 draws: a generator that ignored the prefix would produce one with probability 1 - e^-19.5.
    for (let i = 0; i < 20_000; i++) {
      const id = userKeyId();
      assert.match(id, /^LK[A-Z2-7]{18}$/);
      assert.ok(!id.startsWith(SESSION_KEY_PREFIX), id);
    }
  });

  it('resolves a user key stored under an id with the session prefix (made before that rule), and still resolves sessions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'latchkey-keyids-'));
    const store = new SqliteMetadataStore(join(dir, 'metadata.sqlite3'), { durable: false });
    try {
      const box = new SecretBox(randomBytes(32));
      const identities = new Identities(store.identities, box, { accessKeyId: 'LKROOT00000000000000', secretAccessKey: 'root-secret' });
      await store.identities.createUser('old');
      const legacyId = `${SESSION_KEY_PREFIX}ABCDEFGHIJKLMNOP`;
      assert.equal(await store.identities.createAccessKey({ accessKeyId: legacyId, userName: 'old', sealedSecret: box.seal('legacy-secret', legacyId) }, 2), 'created');
      const resolved = await identities.resolveKey(legacyId);
      assert.equal(resolved?.secretAccessKey, 'legacy-secret');
      assert.deepEqual(resolved?.principal, { kind: 'user', name: 'old', accessKeyId: legacyId });

      const session = await identities.createSession({ kind: 'user', name: 'old', accessKeyId: legacyId }, 900, null, new Date());
      const viaSession = await identities.resolveKey(session.accessKeyId);
      assert.equal(viaSession?.secretAccessKey, session.secretAccessKey);
      assert.equal(viaSession?.principal.session?.expiresAt.getTime(), session.expiresAt.getTime());
      assert.equal(await identities.resolveKey(`${SESSION_KEY_PREFIX}ZZZZZZZZZZZZZZZZ`), undefined);
      assert.equal(await identities.resolveKey('LKNOSUCHKEY000000000'), undefined);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
