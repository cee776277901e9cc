import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { METADATA_FILE } from './backend.js';
import { connectPg, type Tx } from './postgres/pg-connection.js';
import { migratePg } from './postgres/pg-migrations.js';
import { SqliteMetadataStore } from './sqlite/sqlite-metadata-store.js';

/**
 * Tables in foreign-key order, each copied row for row. The two schemas use
 * the same names and values by design; only SQLite's 0/1 flags become booleans.
 */
const TABLES: readonly { readonly name: string; readonly booleans?: readonly string[]; readonly serial?: string }[] = [
  { name: 'buckets', serial: 'id' },
  { name: 'objects', booleans: ['stored_inline'] },
  { name: 'object_parts' },
  { name: 'bucket_versioning' },
  { name: 'object_versions', booleans: ['delete_marker', 'stored_inline'] },
  { name: 'version_parts' },
  { name: 'inline_blobs' },
  { name: 'users' },
  { name: 'access_keys' },
  { name: 'policies' },
  { name: 'user_policies' },
  { name: 'bucket_policies' },
  { name: 'bucket_cors' },
  { name: 'bucket_tags' },
  { name: 'sessions' },
  { name: 'settings' },
  { name: 'multipart_uploads' },
  { name: 'upload_parts' },
  { name: 'freed_blobs' },
  { name: 'link_uses' },
  { name: 'link_revocations' },
  { name: 'link_audit', serial: 'id' },
  { name: 'console_signin_failures' },
  { name: 'console_links' },
];

/** Rows per INSERT: well under PostgreSQL's 65535 bind parameters for the widest table. */
const BATCH = 1000;

export interface CopyReport {
  readonly rows: Readonly<Record<string, number>>;
}

/**
 * `latchkey metadata copy --from sqlite:DATA_DIR --to postgres://…`: moves a
 * single-node store's metadata (offline: no server may run on the data dir)
 * into an empty PostgreSQL database, in one transaction, so a node on
 * PostgreSQL with the same data dir serves every object and link as before.
 */
export async function copySqliteToPostgres(dataDir: string, url: string, log: (line: string) => void = () => undefined): Promise<CopyReport> {
  const file = join(dataDir, METADATA_FILE);
  if (!existsSync(file)) throw new Error(`no metadata database at ${file}`);
  // Opening the store brings an older SQLite schema up to date first, so the columns match.
  await new SqliteMetadataStore(file).close();
  const source = new Database(file, { readonly: true, fileMustExist: true });
  const sql = connectPg(url, { max: 1 });
  try {
    await migratePg(sql);
    const rows: Record<string, number> = {};
    await sql.begin(async (tx) => {
      for (const table of TABLES) {
        const [existing] = await tx.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table.name}`);
        if ((existing?.n ?? 0) > 0) throw new Error(`the target database is not empty (table ${table.name} has rows): copy into a new database`);
      }
      for (const table of TABLES) {
        rows[table.name] = await copyTable(source, tx, table);
        log(`${table.name}: ${rows[table.name]} rows`);
      }
    });
    return { rows };
  } finally {
    source.close();
    await sql.end({ timeout: 5 });
  }
}

async function copyTable(source: Database.Database, tx: Tx, table: (typeof TABLES)[number]): Promise<number> {
  let count = 0;
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await tx`INSERT INTO ${tx(table.name)} ${tx(batch)}`;
    count += batch.length;
    batch = [];
  };
  for (const row of source.prepare(`SELECT * FROM ${table.name}`).iterate() as IterableIterator<Record<string, unknown>>) {
    for (const column of table.booleans ?? []) row[column] = row[column] === 1;
    batch.push(row);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  // Rows kept their ids: the sequence continues after the largest.
  if (table.serial !== undefined) {
    await tx.unsafe(`SELECT setval(pg_get_serial_sequence('${table.name}', '${table.serial}'), coalesce((SELECT max(${table.serial}) FROM ${table.name}), 0) + 1, false)`);
  }
  return count;
}
