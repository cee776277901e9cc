import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetadataStore } from '../../src/storage/metadata-store.js';
import { PgMetadataStore } from '../../src/storage/postgres/pg-metadata-store.js';
import { SqliteMetadataStore } from '../../src/storage/sqlite/sqlite-metadata-store.js';
import postgres from 'postgres';
import { createTestSchema, type TestSchema } from './postgres.js';

export interface StoreFixture {
  readonly store: MetadataStore;
  /**
   * A second store on the same database, as another node would open it: what
   * one writes the other must read at once. Undefined for SQLite, whose
   * embedded database has one writer per data dir by design (the data-dir
   * lock keeps a second server out) and caches on that ground.
   */
  readonly second: MetadataStore | undefined;
  cleanup(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreFixture>;

export async function sqliteFixture(): Promise<StoreFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-meta-'));
  // Not durable: suites seed thousands of rows and fsyncs are not what they test.
  const store = new SqliteMetadataStore(join(dir, 'metadata.sqlite3'), { durable: false });
  return {
    store,
    second: undefined,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let processSchema: Promise<TestSchema> | undefined;

/**
 * A schema of this test process's own, created and migrated once (half a
 * second of DDL), emptied after each test and dropped when the process ends.
 * Other test processes have their own, so files running in parallel never meet.
 */
function testProcessSchema(): Promise<TestSchema> {
  if (processSchema === undefined) {
    processSchema = createTestSchema();
    process.once('beforeExit', () => {
      void processSchema?.then((s) => s.drop());
    });
  }
  return processSchema;
}

/** Two stores (two pools, like two nodes) on one schema, empty at the start of each test. */
export async function postgresFixture(): Promise<StoreFixture> {
  const schema = await testProcessSchema();
  const store = await PgMetadataStore.open(schema.url, { schema: schema.schema, max: 4 });
  const second = await PgMetadataStore.open(schema.url, { schema: schema.schema, max: 4 });
  return {
    store,
    second,
    async cleanup() {
      await store.close();
      await second.close();
      const sql = postgres(schema.url, { max: 1, onnotice: () => undefined, connection: { search_path: schema.schema } });
      try {
        const tables = await sql<{ tablename: string }[]>`
          SELECT tablename FROM pg_tables WHERE schemaname = ${schema.schema} AND tablename <> 'schema_migrations'`;
        // DELETE, not TRUNCATE: a few rows each, and TRUNCATE's new files cost far more on a busy disk.
        await sql.begin(async (tx) => {
          await tx`SET LOCAL session_replication_role = replica`; // no foreign-key order to follow
          for (const t of tables) await tx.unsafe(`DELETE FROM "${t.tablename}"`);
        });
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
  };
}
