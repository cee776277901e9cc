import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../src/storage/sqlite-metadata-store.js';
import { metadataStoreContract } from '../helpers/metadata-contract.js';

metadataStoreContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-meta-'));
  // Not durable: the suite seeds thousands of rows and fsyncs are not what it tests.
  const store = new SqliteMetadataStore(join(dir, 'metadata.sqlite3'), { durable: false });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
