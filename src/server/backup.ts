import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { GENERATED_KEY_FILE } from '../identity/master-key.js';
import { BlobStore } from '../storage/blob-store.js';
import { fsyncPath } from '../storage/fsync-path.js';
import { METADATA_FILE } from '../storage/storage.js';

/** Written last: a backup directory without it is incomplete. */
export const MANIFEST_FILE = 'latchkey-backup.json';
const FORMAT = 1;
/** Small files of the data dir that belong to the store: the generated master key, the root credentials, the console's link log. */
const SIDE_FILES = [GENERATED_KEY_FILE, 'root-credentials.json', join('console', 'links.jsonl')];
const STAGING_PREFIX = 'backup-staging-';
/** A referenced blob gone before it could be linked means the snapshot is older than the files: take a new one, at most this often. */
const SNAPSHOT_ATTEMPTS = 5;
const COPY_CONCURRENCY = 8;

/** Blob files (never inline bodies) any row references: objects, parts of multipart objects, parts of uploads in progress, older versions. */
const REFERENCED_FILES = `
  SELECT blob_id FROM objects WHERE stored_inline = 0
  UNION SELECT blob_id FROM object_parts
  UNION SELECT blob_id FROM upload_parts
  UNION SELECT blob_id FROM object_versions WHERE stored_inline = 0 AND blob_id IS NOT NULL
  UNION SELECT blob_id FROM version_parts`;

export interface BackupManifest {
  readonly format: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly objects: number;
  readonly blobFiles: number;
  readonly blobBytes: number;
  /** False when the master key was not in the data dir (LATCHKEY_MASTER_KEY or --master-key-file): keep it with the backup. */
  readonly masterKeyIncluded: boolean;
}

export interface Progress {
  readonly phase: 'metadata' | 'blobs' | 'verify';
  readonly done: number;
  readonly total: number;
}

export class BackupError extends Error {}

/**
 * A consistent copy of a data dir while its server runs. Every blob file is
 * first hard-linked into a staging directory inside the data dir (same
 * filesystem: no bytes copied), so a delete or overwrite during the backup
 * cannot take away a file; then the database is copied through SQLite's
 * online backup API in one step (a multi-step copy restarts whenever another
 * process writes); then every blob file the copy references is copied from
 * the staging links. Objects acknowledged before the start are in the
 * snapshot, and their files were linked before it, or after it and before
 * any delete the snapshot does not show.
 */
export async function backupDataDir(options: { dataDir: string; to: string; progress?: (p: Progress) => void }): Promise<BackupManifest> {
  const startedAt = new Date();
  const source = join(options.dataDir, METADATA_FILE);
  if (!existsSync(source)) throw new BackupError(`${options.dataDir} is not a Latchkey data dir (no ${METADATA_FILE})`);
  await requireEmptyDir(options.to, 'the backup directory');
  await mkdir(options.to, { recursive: true, mode: 0o700 });
  await removeStaleStaging(options.dataDir);
  const staging = join(options.dataDir, `${STAGING_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(staging, { mode: 0o700 });
  const live = new BlobStore(options.dataDir);
  const target = new BlobStore(options.to);
  try {
    await stageAll(live.blobDir, staging);
    const snapshot = join(options.to, METADATA_FILE);
    let referenced: string[] = [];
    for (let attempt = 1; ; attempt++) {
      options.progress?.({ phase: 'metadata', done: 0, total: 1 });
      await rm(snapshot, { force: true });
      await snapshotDatabase(source, snapshot);
      referenced = readColumn(snapshot, REFERENCED_FILES);
      const missing = await stageReferenced(referenced, live, staging);
      if (missing === 0) break;
      if (attempt === SNAPSHOT_ATTEMPTS) throw new BackupError(`${missing} blob files vanished between the database snapshot and their copy, ${attempt} times: is the server deleting faster than a backup can run?`);
    }
    let blobBytes = 0;
    let done = 0;
    await inPool(referenced, COPY_CONCURRENCY, async (id) => {
      const to = target.pathOf(id);
      await mkdir(dirname(to), { recursive: true });
      await copyFile(join(staging, id), to, constants.COPYFILE_FICLONE);
      blobBytes += (await stat(to)).size;
      await fsyncPath(to);
      options.progress?.({ phase: 'blobs', done: ++done, total: referenced.length });
    });
    let masterKeyIncluded = false;
    for (const name of SIDE_FILES) {
      if (!existsSync(join(options.dataDir, name))) continue;
      await mkdir(dirname(join(options.to, name)), { recursive: true, mode: 0o700 });
      await copyFile(join(options.dataDir, name), join(options.to, name));
      await fsyncPath(join(options.to, name));
      if (name === GENERATED_KEY_FILE) masterKeyIncluded = true;
    }
    options.progress?.({ phase: 'verify', done: 0, total: 1 });
    checkIntegrity(snapshot);
    await fsyncPath(snapshot);
    await syncDirs(options.to);
    const manifest: BackupManifest = {
      format: FORMAT,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      objects: readColumn(snapshot, 'SELECT count(*) FROM objects').map(Number)[0] ?? 0,
      blobFiles: referenced.length,
      blobBytes,
      masterKeyIncluded,
    };
    await writeFile(join(options.to, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    await fsyncPath(join(options.to, MANIFEST_FILE));
    await fsyncPath(options.to);
    return manifest;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * A data dir a server starts on, from a finished backup: the database, every
 * blob file it references (checked present), the master key and credentials.
 * The target must be empty so nothing of another store mixes in.
 */
export async function restoreDataDir(options: { from: string; dataDir: string; progress?: (p: Progress) => void }): Promise<BackupManifest> {
  const manifestPath = join(options.from, MANIFEST_FILE);
  if (!existsSync(manifestPath)) throw new BackupError(`${options.from} is not a finished Latchkey backup (no ${MANIFEST_FILE})`);
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as BackupManifest;
  if (manifest.format !== FORMAT) throw new BackupError(`backup format ${manifest.format} is not one this Latchkey reads (${FORMAT})`);
  const snapshot = join(options.from, METADATA_FILE);
  checkIntegrity(snapshot);
  const referenced = readColumn(snapshot, REFERENCED_FILES);
  const backup = new BlobStore(options.from);
  const missing = referenced.filter((id) => !existsSync(backup.pathOf(id)));
  if (missing.length > 0) throw new BackupError(`the backup lacks ${missing.length} blob files its database references (e.g. ${missing[0]}): it is damaged`);
  await requireEmptyDir(options.dataDir, 'the target data dir');
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const target = new BlobStore(options.dataDir);
  await target.init();
  let done = 0;
  await inPool(referenced, COPY_CONCURRENCY, async (id) => {
    const to = target.pathOf(id);
    await mkdir(dirname(to), { recursive: true });
    await copyFile(backup.pathOf(id), to, constants.COPYFILE_FICLONE);
    await fsyncPath(to);
    options.progress?.({ phase: 'blobs', done: ++done, total: referenced.length });
  });
  for (const name of [METADATA_FILE, ...SIDE_FILES]) {
    if (!existsSync(join(options.from, name))) continue;
    await mkdir(dirname(join(options.dataDir, name)), { recursive: true, mode: 0o700 });
    await copyFile(join(options.from, name), join(options.dataDir, name));
    await fsyncPath(join(options.dataDir, name));
  }
  await syncDirs(options.dataDir);
  return manifest;
}

async function requireEmptyDir(dir: string, what: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (entries.length > 0) throw new BackupError(`${what} ${dir} is not empty`);
}

/** Staging dirs of backups that died (their process is gone). */
async function removeStaleStaging(dataDir: string): Promise<void> {
  for (const name of await readdir(dataDir)) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const pid = Number(name.slice(STAGING_PREFIX.length).split('-')[0]);
    if (!processAlive(pid)) await rm(join(dataDir, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Hard links to every blob file now in the store, flat by id. */
async function stageAll(blobDir: string, staging: string): Promise<void> {
  const ids: string[] = [];
  for (const dir of await readdir(blobDir, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const name of await readdir(join(blobDir, dir.name))) ids.push(join(dir.name, name));
  }
  await inPool(ids, COPY_CONCURRENCY, async (path) => {
    await linkOrCopy(join(blobDir, path), join(staging, path.slice(3))).catch((error: unknown) => {
      // Deleted since the listing: nothing a later snapshot can reference.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
  });
}

/** Links the referenced files written after stageAll; returns how many were already gone. */
async function stageReferenced(ids: readonly string[], live: BlobStore, staging: string): Promise<number> {
  let missing = 0;
  await inPool(ids, COPY_CONCURRENCY, async (id) => {
    if (existsSync(join(staging, id))) return;
    await linkOrCopy(live.pathOf(id), join(staging, id)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      missing++;
    });
  });
  return missing;
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw error;
    await copyFile(from, to);
  }
}

async function snapshotDatabase(source: string, to: string): Promise<void> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    // The whole database in the step after the first (which only learns its size): nothing can restart it midway.
    await db.backup(to, { progress: () => 0x7fffffff });
  } finally {
    db.close();
  }
  // One self-contained file (the copy keeps the source's WAL mode, which would need -wal and -shm files beside it).
  const copy = new Database(to);
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
}

function readColumn(file: string, sql: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).pluck().all().map(String);
  } finally {
    db.close();
  }
}

function checkIntegrity(file: string): void {
  const result = readColumn(file, 'PRAGMA quick_check');
  if (result.length !== 1 || result[0] !== 'ok') throw new BackupError(`${file} failed SQLite's integrity check: ${result.slice(0, 3).join('; ')}`);
}

/** The directories that got new entries, so the entries survive a crash as the files do. */
async function syncDirs(root: string): Promise<void> {
  const dirs = [root];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isDirectory()) dirs.push(join(entry.parentPath, entry.name));
  }
  await inPool(dirs, COPY_CONCURRENCY, fsyncPath);
}

async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
