import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { UsageError } from '../errors.js';

export const BACKUP_USAGE = 'latchkey backup --data DIR --to BACKUP_DIR';
export const RESTORE_USAGE = 'latchkey restore --from BACKUP_DIR --data NEW_DIR';

const BACKUP_HELP = `${BACKUP_USAGE}

Copies a data dir while its server runs: the metadata database through
SQLite's online backup API, then every blob file that copy references, the
generated master key and the root credentials. Objects acknowledged before
the backup started are all in it. BACKUP_DIR must be empty or absent.

  --data DIR        the server's data dir (env LATCHKEY_DATA_DIR; default ./data)
  --to BACKUP_DIR   where the backup goes

A store on PostgreSQL (--metadata postgres://...) is backed up with
PostgreSQL's own tools plus a snapshot of the shared blob directory (README, "Backup and restore").
`;

const RESTORE_HELP = `${RESTORE_USAGE}

Makes NEW_DIR (empty or absent) a data dir holding everything the backup
holds; start a server on it with --data NEW_DIR. A master key given through
LATCHKEY_MASTER_KEY or --master-key-file is not in the backup: start the
restored server with the same one.
`;

export interface BackupIO {
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

type Env = Readonly<Record<string, string | undefined>>;

type Values = Readonly<Record<string, string | boolean | undefined>>;

function parse(args: readonly string[], names: readonly string[], usage: string): Values {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const name of names) options[name] = { type: 'string' };
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split(/\.\s/)[0] ?? error.message) : String(error);
    throw new UsageError(`${reason}; usage: ${usage}`);
  }
}

/** A PostgreSQL store has no file to copy consistently from here: say what to do instead. */
function refusePostgres(metadata: string | undefined): void {
  if (metadata !== undefined && /^postgres(ql)?:\/\//.test(metadata)) {
    throw new UsageError(
      'this store keeps its metadata in PostgreSQL: back it up with PostgreSQL\'s own tools (pg_dump, or pg_basebackup with WAL archiving) ' +
        'together with a snapshot of the shared blob directory taken after the database backup began; see README "Backup and restore"',
    );
  }
}

/** A one-line progress meter on a terminal; nothing when stderr is a file or a pipe. */
function progressMeter(io: BackupIO): ((p: { phase: string; done: number; total: number }) => void) | undefined {
  if (io.stderr.isTTY !== true) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 100 && p.done !== p.total) return;
    last = now;
    io.stderr.write(`\r\x1b[K${p.phase}${p.total > 1 ? ` ${p.done}/${p.total}` : ''}`);
  };
}

export async function runBackup(args: readonly string[], io: BackupIO): Promise<number> {
  const values = parse(args, ['data', 'to', 'metadata'], BACKUP_USAGE);
  if (values['help']) {
    io.stdout.write(BACKUP_HELP);
    return 0;
  }
  const env: Env = io.env;
  const text = (name: string) => (typeof values[name] === 'string' ? values[name] : undefined);
  refusePostgres(text('metadata') ?? env['LATCHKEY_METADATA']);
  const to = text('to');
  if (to === undefined) throw new UsageError(`missing --to BACKUP_DIR; usage: ${BACKUP_USAGE}`);
  const dataDir = resolve(text('data') ?? env['LATCHKEY_DATA_DIR'] ?? './data');
  const { backupDataDir } = await import('../../server/backup.js');
  const progress = progressMeter(io);
  const manifest = await backupDataDir({ dataDir, to: resolve(to), ...(progress ? { progress } : {}) });
  if (progress) io.stderr.write('\r\x1b[K');
  io.stdout.write(`backed up ${dataDir} to ${resolve(to)}: ${manifest.objects} objects, ${manifest.blobFiles} blob files (${manifest.blobBytes} bytes)\n`);
  if (!manifest.masterKeyIncluded) {
    io.stderr.write('latchkey: the master key is not in the data dir (LATCHKEY_MASTER_KEY or --master-key-file): keep it with this backup; a restored store needs the same key\n');
  }
  return 0;
}

export async function runRestore(args: readonly string[], io: BackupIO): Promise<number> {
  const values = parse(args, ['from', 'data'], RESTORE_USAGE);
  if (values['help']) {
    io.stdout.write(RESTORE_HELP);
    return 0;
  }
  const from = values['from'];
  const data = values['data'];
  if (typeof from !== 'string') throw new UsageError(`missing --from BACKUP_DIR; usage: ${RESTORE_USAGE}`);
  if (typeof data !== 'string') throw new UsageError(`missing --data NEW_DIR; usage: ${RESTORE_USAGE}`);
  const { restoreDataDir } = await import('../../server/backup.js');
  const progress = progressMeter(io);
  const manifest = await restoreDataDir({ from: resolve(from), dataDir: resolve(data), ...(progress ? { progress } : {}) });
  if (progress) io.stderr.write('\r\x1b[K');
  io.stdout.write(`restored ${manifest.objects} objects (backup of ${manifest.startedAt}) into ${resolve(data)}; start it with: latchkey server --data ${resolve(data)}\n`);
  return 0;
}
