import { join } from 'node:path';
import Database from 'better-sqlite3';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { signRequest } from '../../src/sigv4/sign.js';
import { httpRequest, sha256Hex } from './e2e-http.js';
import { ROOT_CREDENTIALS, type TestServer } from './server.js';

export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** Temporary credentials from the server's own STS GetSessionToken (the shortest session: 15 minutes). */
export async function getSessionToken(server: TestServer, credentials: { accessKeyId: string; secretAccessKey: string } = ROOT_CREDENTIALS): Promise<SessionCredentials> {
  const body = 'Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900';
  const url = `${server.endpoint}/`;
  const signed = signRequest({
    method: 'POST',
    url,
    credentials,
    region: server.region,
    service: 'sts',
    now: Date.now(),
    crypto: nodeCrypto,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payloadHash: sha256Hex(body),
    contentSha256Header: false,
  });
  const { host: _host, ...headers } = signed.headers;
  const answer = await httpRequest(url, { method: 'POST', headers, body: Buffer.from(body) });
  const text = answer.body.toString('utf8');
  if (answer.status !== 200) throw new Error(`GetSessionToken: ${answer.status} ${text}`);
  const field = (name: string) => {
    const value = new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
    if (value === undefined) throw new Error(`no ${name} in ${text}`);
    return value;
  };
  return { accessKeyId: field('AccessKeyId'), secretAccessKey: field('SecretAccessKey'), sessionToken: field('SessionToken') };
}

/**
 * Ends a session now, as the passing of its 15 minutes would: the server reads
 * a key's session at every request (never cached), so the next request sees it
 * ended. A second writer on the database, as another node would be.
 */
export function expireSession(server: TestServer, accessKeyId: string): void {
  const db = new Database(join(server.dataDir, 'metadata.sqlite3'), { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const changed = db.prepare('UPDATE sessions SET expires_at = ? WHERE access_key_id = ?').run(Date.now() - 1000, accessKeyId).changes;
    if (changed !== 1) throw new Error(`no session ${accessKeyId}`);
  } finally {
    db.close();
  }
}
