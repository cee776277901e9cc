import { existsSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * One setting read through a read-only connection, before the store is
 * opened for writing (which migrates, and checkpoints the WAL on close): a
 * start that is about to be refused must not change the data dir.
 */
export function peekSetting(file: string, name: string): Buffer | null {
  if (!existsSync(file)) return null;
  // A read-only connection to a WAL database still creates the -wal and -shm files; remove what it added.
  const added = [`${file}-wal`, `${file}-shm`].filter((f) => !existsSync(f));
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = 'settings'").get();
    if (table === undefined) return null;
    const row = db.prepare('SELECT value FROM settings WHERE name = ?').get(name) as { value: Buffer } | undefined;
    return row?.value ?? null;
  } finally {
    db.close();
    for (const f of added) rmSync(f, { force: true });
  }
}
