import { join } from 'node:path';
import type { MetadataStore } from './metadata-store.js';
import { connectPg, type PgOptions } from './postgres/pg-connection.js';
import { PgMetadataStore } from './postgres/pg-metadata-store.js';
import { SqliteMetadataStore } from './sqlite/sqlite-metadata-store.js';
import { peekSetting as peekSqliteSetting } from './sqlite/sqlite-peek-setting.js';

/** The embedded database's file in the data dir (also what `latchkey backup` copies). */
export const METADATA_FILE = 'metadata.sqlite3';

/**
 * Where a node keeps its metadata: the one place that knows both backends.
 * Everything outside src/storage/ gets a MetadataBackend and never imports
 * either implementation.
 */
export interface MetadataBackend {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * True when several nodes share the data dir by design (a server database):
   * then the one-server lock on the data dir does not apply, and blob files
   * another node may be reading or writing are handled with care (see Storage).
   */
  readonly sharedDataDir: boolean;
  /** For logs: never the password. */
  readonly description: string;
  /** The SQLite file of a data dir (undefined for a server database): what an online backup copies. */
  sqliteFile(dataDir: string): string | undefined;
  /** Opens (creating or migrating as needed) the metadata of this data dir. */
  open(dataDir: string, warn?: (message: string) => void): Promise<MetadataStore>;
  /** A setting read without creating or migrating anything (null when there is no database yet). */
  peekSetting(dataDir: string, name: string): Promise<Buffer | null>;
}

/**
 * `sqlite` (the embedded default) or a `postgres://` / `postgresql://` URL,
 * as given to --metadata or LATCHKEY_METADATA.
 */
export function metadataBackend(spec: string, pgOptions: PgOptions = {}): MetadataBackend {
  if (spec === '' || spec === 'sqlite') return sqliteBackend();
  if (/^postgres(ql)?:\/\//.test(spec)) return postgresBackend(spec, pgOptions);
  throw new Error(`--metadata must be "sqlite" or a postgres:// URL, not ${JSON.stringify(spec.replace(/\/\/[^@/]*@/, '//…@'))}`);
}

export function sqliteBackend(options: { durable?: boolean } = {}): MetadataBackend {
  return {
    kind: 'sqlite',
    sharedDataDir: false,
    description: 'sqlite',
    sqliteFile: (dataDir) => join(dataDir, METADATA_FILE),
    open: (dataDir, warn) => Promise.resolve(new SqliteMetadataStore(join(dataDir, METADATA_FILE), { ...options, ...(warn === undefined ? {} : { warn }) })),
    peekSetting: (dataDir, name) => Promise.resolve(peekSqliteSetting(join(dataDir, METADATA_FILE), name)),
  };
}

export function postgresBackend(url: string, options: PgOptions = {}): MetadataBackend {
  return {
    kind: 'postgres',
    sharedDataDir: true,
    description: redact(url),
    sqliteFile: () => undefined,
    open: () => PgMetadataStore.open(url, options),
    async peekSetting(_dataDir, name) {
      const sql = connectPg(url, { ...options, max: 1 });
      try {
        const [table] = await sql<{ t: string | null }[]>`SELECT to_regclass('settings')::text AS t`;
        if (table?.t == null) return null;
        const [row] = await sql<{ value: Buffer }[]>`SELECT value FROM settings WHERE name = ${name}`;
        return row?.value ?? null;
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
  };
}

/** A URL without its password. */
function redact(url: string): string {
  return url.replace(/(\/\/[^:@/]*):[^@/]*@/, '$1:…@');
}
