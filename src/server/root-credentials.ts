import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateAccessKeyId } from '../identity/access-key-id.js';
import type { Credentials } from '../sigv4/types.js';

export interface RootCredentials extends Credentials {
  /** True when this start generated them: they are printed once. */
  readonly generated: boolean;
}

export const ROOT_CREDENTIALS_FILE = 'root-credentials.json';

/** From the environment, else from the data dir, else generated once and kept with mode 0600. */
export async function loadRootCredentials(dataDir: string, fromEnv?: Credentials): Promise<RootCredentials> {
  if (fromEnv) return { accessKeyId: fromEnv.accessKeyId, secretAccessKey: fromEnv.secretAccessKey, generated: false };
  const path = join(dataDir, ROOT_CREDENTIALS_FILE);
  try {
    const stored = JSON.parse(await readFile(path, 'utf8')) as { accessKeyId: string; secretAccessKey: string };
    return { accessKeyId: stored.accessKeyId, secretAccessKey: stored.secretAccessKey, generated: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const credentials = { accessKeyId: generateAccessKeyId(), secretAccessKey: randomBytes(30).toString('base64') };
  await writeFile(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return { ...credentials, generated: true };
}
