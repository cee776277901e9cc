import Database from 'better-sqlite3';

/**
 * Counts objects through a read-only connection of its own to the metadata
 * database: a count reads the whole blob_id index, and doing it off the
 * server's connection keeps it out of the server's statement cache and write batches.
 */
export class SqliteObjectCounter {
  private readonly db: Database.Database;
  private readonly statement: Database.Statement<[], { n: number }>;

  constructor(file: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 1000');
    this.statement = this.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM objects');
  }

  count(): number {
    return this.statement.get()?.n ?? 0;
  }

  close(): void {
    this.db.close();
  }
}
