import type { Sql } from './pg-connection.js';
import type { PgMigration } from './migrations/pg-migration.js';
import { v1Schema } from './migrations/v1-schema.js';
import { v2Console } from './migrations/v2-console.js';
import { v3CompletedUploads } from './migrations/v3-completed-uploads.js';
import { v4Versioning } from './migrations/v4-versioning.js';
import { v5Tags } from './migrations/v5-tags.js';
import { v6ObjectWriteFunctions } from './migrations/v6-object-write-functions.js';

/**
 * Append-only, like SQLite's: a released migration is never edited (its SQL
 * text and number stay as databases ran them), a change is a new module in
 * migrations/ listed here. Version 1 is the schema SQLite reached at its
 * version 6, in PostgreSQL's types: keys are bytea (compared bytewise, S3's
 * UTF-8 binary order), times are ms since the epoch in bigint so every backend
 * maps rows the same way.
 */
export const PG_MIGRATIONS: readonly PgMigration[] = [v1Schema, v2Console, v3CompletedUploads, v4Versioning, v5Tags, v6ObjectWriteFunctions];

/** Any constant works: it names "the schema migration" among this database's advisory locks. */
const MIGRATION_LOCK = 0x4c4b_4d47; // "LKMG"

/**
 * Brings the schema (the connection's search_path) to the newest known
 * version. Several nodes starting at once serialize on an advisory lock held
 * for the transaction, so each migration runs exactly once; a database
 * migrated by a newer Latchkey is refused rather than guessed at.
 */
export async function migratePg(sql: Sql, migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<number> {
  const newest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK}, hashtext(current_schema()))`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`;
    const [row] = await tx<{ v: number | null }[]>`SELECT max(version) AS v FROM schema_migrations`;
    const current = row?.v ?? 0;
    if (current > newest) throw new Error(`metadata database is at schema version ${current}, newer than this build knows (${newest})`);
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      await tx.unsafe(m.sql);
      await tx`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, ${m.name}, ${Date.now()})`;
    }
    return Math.max(current, newest);
  });
}
