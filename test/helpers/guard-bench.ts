import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../src/links/audit-log.js';
import { linkId } from '../../src/links/link-identity.js';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { signV2 } from '../../src/sigv4/sigv2.js';
import { verifyRequest, type VerifiedAuth } from '../../src/sigv4/verify.js';
import { SqliteMetadataStore } from '../../src/storage/sqlite/sqlite-metadata-store.js';
import { requestFromUrl } from './sigv2-clients.js';

/*
 * The link guard in-process (test/links/link-guard and guard-edges): the real
 * SQLite link store and audit log in a temporary directory, and an HTTP
 * server on 127.0.0.1 whose requests the test hands to admitLink itself.
 */

export interface GuardBench {
  /** The temporary directory (removed by close), for any other store a test opens. */
  readonly dir: string;
  readonly metadata: SqliteMetadataStore;
  readonly audit: AuditLog;
  readonly endpoint: string;
  /** The request's link verified as the server would: signed by the bench's key, checked against the wall clock. */
  readonly verify: (req: IncomingMessage) => Promise<VerifiedAuth>;
  /** A SigV4 link to /bucket/key.txt plus `query`, signed at `signedAt`, distinct on every call; signedAt as the link states it (whole seconds). */
  readonly v4Link: (query?: string, signedAt?: number, accessKeyId?: string) => { url: string; id: string; signedAt: number };
  /** A SigV2 link to /bucket/key.txt plus `query`, distinct on every call. */
  readonly v2Link: (query?: string) => { url: string; id: string };
  readonly close: () => Promise<void>;
}

export async function startGuardBench(
  credentials: { readonly accessKeyId: string; readonly secretAccessKey: string },
  auditOptions: ConstructorParameters<typeof AuditLog>[1],
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<GuardBench> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-guard-'));
  const metadata = new SqliteMetadataStore(join(dir, 'meta.db'));
  const audit = new AuditLog(metadata.links, auditOptions);
  const server = createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Each link expires a second later than the one before, so no two are the same link.
  let distinct = 0;
  return {
    dir,
    metadata,
    audit,
    endpoint,
    verify: (req) =>
      verifyRequest(requestFromUrl(req.method ?? 'GET', `${endpoint}${req.url ?? '/'}`), {
        now: Date.now(),
        crypto: nodeCrypto,
        region: 'us-east-1',
        lookupSecret: () => ({ secretAccessKey: credentials.secretAccessKey }),
      }),
    v4Link: (query = '', signedAt = Date.now(), accessKeyId = credentials.accessKeyId) => {
      const { url, signature } = presign({
        method: 'GET', url: `${endpoint}/bucket/key.txt${query}`, credentials: { ...credentials, accessKeyId }, region: 'us-east-1', now: signedAt, expiresIn: 600 + distinct++, crypto: nodeCrypto,
      });
      return { url, id: linkId(4, signature), signedAt: Math.floor(signedAt / 1000) * 1000 };
    },
    v2Link: (query = '') => {
      const { url, signature } = signV2({ mode: 'query', method: 'GET', url: `${endpoint}/bucket/key.txt${query}`, credentials, now: Date.now(), expiresIn: 600 + distinct++, crypto: nodeCrypto });
      return { url, id: linkId(2, signature) };
    },
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await audit.close();
      await metadata.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
