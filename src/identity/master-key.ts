import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class MasterKeyError extends Error {}

export interface MasterKeySource {
  /** LATCHKEY_MASTER_KEY: 32 bytes as 64 hex digits or base64. */
  readonly fromEnv?: string | undefined;
  /** --master-key-file */
  readonly file?: string | undefined;
  readonly dataDir: string;
}

export interface LoadedMasterKey {
  readonly key: Buffer;
  /** Where it came from, for the start-up line. */
  readonly origin: 'environment' | 'file' | 'generated';
  readonly path?: string;
}

export const GENERATED_KEY_FILE = 'master.key';

/**
 * The key that encrypts secrets in the metadata database. It never lives in
 * that database: from the environment, a file the operator names, or (first
 * start only) a file generated beside the data with mode 0600.
 */
export async function loadMasterKey(source: MasterKeySource): Promise<LoadedMasterKey> {
  if (source.fromEnv !== undefined) return { key: decodeKey(source.fromEnv, 'LATCHKEY_MASTER_KEY'), origin: 'environment' };
  if (source.file !== undefined) {
    const text = await readFile(source.file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new MasterKeyError(`cannot read the master key file ${source.file}: ${e.code ?? e.message}`);
    });
    return { key: decodeKey(text.trim(), source.file), origin: 'file', path: source.file };
  }
  const path = join(source.dataDir, GENERATED_KEY_FILE);
  try {
    return { key: decodeKey((await readFile(path, 'utf8')).trim(), path), origin: 'file', path };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const key = randomBytes(32);
  await writeFile(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, origin: 'generated', path };
}

function decodeKey(text: string, where: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(text) && key.toString('base64') !== text)) {
    throw new MasterKeyError(`${where} must hold a 32-byte key as 64 hex digits or base64`);
  }
  return key;
}
