/**
 * What Node itself allows for a 4 KiB PUT on one core, as a reference for
 * the pre-signed PUT phase: node:http taking the body and answering with its
 * MD5 as ETag (`md5`); the same after verifying the pre-signed URL with
 * Latchkey's SigV4 library (`sigv4`); and then also storing the body as one
 * SQLite row, answered once the WAL is fsync'd (`durable`: one transaction
 * per event-loop turn and one fsync per batch, as Latchkey's write batch
 * does). Nothing is logged; no policy, link or audit; no crash recovery.
 * Then, stage by stage, what Latchkey's durable PUT has to do beyond that
 * floor, with Latchkey's own code: `store` keeps the object as Latchkey's
 * SQLite metadata store does (its row of the objects table, the inline body,
 * the versioning check, its write batch and group commit); `logged` also
 * writes the request's log line and the link's audit record (the SHA-256 that
 * names the link, the batched audit row). What Latchkey spends beyond
 * `logged` is its request pipeline: routing, context, key lookup, policy
 * evaluation, link admission, response headers.
 * `durable-pg`: the same row upserted in PostgreSQL instead (DATA_DIR is then
 * a postgres:// URL; table bare_put.objects), one autocommitted statement per
 * PUT through postgres.js with the node's pool size: the floor a
 * PostgreSQL-backed node has on this machine.
 * `large`: what Node allows for a large PUT made durable, the floor of the
 * 64 MiB PUT phase: the pre-signed URL verified, the body streamed through
 * MD5 (S3's ETag) into a temporary file in writes of 1 MiB, fsync'd, renamed
 * into place, the directory fsync'd, as Latchkey's blob store does; no
 * metadata row, log or audit. `large-crc32` also takes a CRC32 of the bytes
 * received, the least an aws-chunked upload with a CRC32 trailer costs beyond
 * that (its framing is not decoded: the floor hashes the bytes as sent).
 * `large-get`: the floor of the 64 MiB GET phase: the pre-signed URL verified,
 * then DATA_DIR/large.bin streamed to the socket in reads of 1 MiB, as
 * Latchkey's blob store streams a file (nginx sends it with sendfile instead).
 * Usage: bare-put.js MODE SECRET [DATA_DIR]. Prints `listening <url>` once ready.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, stat } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditLog } from '../src/links/audit-log.js';
import { linkId } from '../src/links/link-identity.js';
import { createLogger } from '../src/logger.js';
import postgres from 'postgres';
import { parseQuery } from '../src/sigv4/canonical-query.js';
import { nodeCrypto } from '../src/sigv4/node-crypto.js';
import { parseAuthorization } from '../src/sigv4/parse.js';
import { SigningKeyCache } from '../src/sigv4/signing-key.js';
import { verifyParsed, type VerifiedAuth } from '../src/sigv4/verify.js';
import { newInlineBlobId } from '../src/storage/blob-store.js';
import { SqliteMetadataStore } from '../src/storage/sqlite/sqlite-metadata-store.js';

const [mode, secret, dataDir] = [process.argv[2], process.argv[3] ?? '', process.argv[4] ?? ''];
const keyCache = new SigningKeyCache(nodeCrypto, new LRUCache<string, Uint8Array>({ max: 1024 }));

/** `durable` mode: a row per PUT, committed per event-loop turn, answered after the WAL's fsync. */
async function openRows(): Promise<(key: string, body: Buffer, etag: string) => Promise<void>> {
  const db = new Database(join(dataDir, 'bare.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE objects (key TEXT PRIMARY KEY, etag TEXT NOT NULL, id BLOB NOT NULL, bytes BLOB NOT NULL) WITHOUT ROWID');
  const insert = db.prepare('INSERT OR REPLACE INTO objects (key, etag, id, bytes) VALUES (?, ?, ?, ?)');
  const [begin, commit] = [db.prepare('BEGIN IMMEDIATE'), db.prepare('COMMIT')];
  const wal = await open(join(dataDir, 'bare.db-wal'), 'r+');
  let batch: Promise<void> | undefined;
  // Commits made while an fsync runs share the next one.
  let waiting: Array<() => void> = [];
  let syncing = false;
  const drain = async (): Promise<void> => {
    syncing = true;
    while (waiting.length > 0) {
      const done = waiting;
      waiting = [];
      await wal.sync();
      for (const resolve of done) resolve();
    }
    syncing = false;
  };
  return async (key, body, etag) => {
    if (batch === undefined) {
      begin.run();
      batch = new Promise<void>((resolve) => setImmediate(() => {
        batch = undefined;
        commit.run();
        waiting.push(resolve);
        if (!syncing) void drain();
      }));
    }
    insert.run(key, etag, randomBytes(16), body);
    await batch;
  };
}
/** `store` and `logged` modes: the row Latchkey's metadata store writes for a 4 KiB PUT, through that store. */
async function openMetadataStore(): Promise<{ metadata: SqliteMetadataStore; put: (key: string, body: Buffer, etag: string) => Promise<void> }> {
  const metadata = new SqliteMetadataStore(join(dataDir, 'metadata.db'));
  await metadata.createBucket({ name: 'bench', owner: 'root' });
  const put = async (path: string, body: Buffer, etag: string): Promise<void> => {
    const key = path.replace(/^\/bench\//, '');
    const outcome = await metadata.putObject({
      bucket: 'bench', key, size: body.length, etag, blobId: newInlineBlobId(), inlineBytes: body,
      contentType: 'application/octet-stream', userMetadata: {}, checksums: {}, tags: {},
    });
    if (outcome.kind !== 'stored') throw new Error(outcome.kind);
  };
  return { metadata, put };
}
const latchkeyStore = mode === 'store' || mode === 'logged' ? await openMetadataStore() : undefined;
const logger = mode === 'logged' ? createLogger(process.stdout, false) : undefined;
const audit = mode === 'logged' && latchkeyStore ? new AuditLog(latchkeyStore.metadata.links, { warn: (message) => process.stderr.write(`${message}\n`) }) : undefined;

/** `durable-pg` mode: a row per PUT, one INSERT … ON CONFLICT, answered once PostgreSQL committed it. */
async function openPgRows(): Promise<(key: string, body: Buffer, etag: string) => Promise<void>> {
  const sql = postgres(dataDir, { max: 10, onnotice: () => undefined });
  await sql`DROP SCHEMA IF EXISTS bare_put CASCADE`;
  await sql`CREATE SCHEMA bare_put`;
  await sql`CREATE TABLE bare_put.objects (key text PRIMARY KEY, etag text NOT NULL, id bytea NOT NULL, bytes bytea NOT NULL)`;
  process.once('SIGTERM', () => void sql`DROP SCHEMA bare_put CASCADE`.finally(() => sql.end({ timeout: 1 })));
  return async (key, body, etag) => {
    await sql`INSERT INTO bare_put.objects (key, etag, id, bytes) VALUES (${key}, ${etag}, ${randomBytes(16)}, ${body})
      ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, id = excluded.id, bytes = excluded.bytes`;
  };
}
const store = mode === 'durable' ? await openRows() : mode === 'durable-pg' ? await openPgRows() : latchkeyStore?.put;

function verified(method: string, url: string, headers: Record<string, string | string[] | undefined>): VerifiedAuth | undefined {
  const q = url.indexOf('?');
  const query = q === -1 ? '' : url.slice(q + 1);
  const request = { method, path: q === -1 ? url : url.slice(0, q), query, queryPairs: parseQuery(query), headers };
  const options = { region: 'us-east-1', service: 's3', crypto: nodeCrypto, keyCache, now: Date.now() };
  try {
    const parsed = parseAuthorization(request, options);
    if (parsed.version === 0) return undefined;
    return verifyParsed(parsed, request, secret, options);
  } catch {
    return undefined;
  }
}

/** `logged` mode: the request log line and the link audit record Latchkey makes of the same PUT. */
function record(req: IncomingMessage, res: ServerResponse, auth: VerifiedAuth | undefined, path: string, bytesIn: number, startedAt: number): void {
  if (logger === undefined || audit === undefined || auth === undefined || auth.version !== 4) return;
  const key = path.replace(/^\/bench\//, '');
  audit.record({
    at: new Date(), link: linkId(4, auth.signature), accessKeyId: auth.accessKeyId, userName: 'root', method: 'PUT', bucket: 'bench', key,
    status: res.statusCode, bytes: 0, clientIp: req.socket.remoteAddress ?? '', userAgent: req.headers['user-agent'] ?? null,
  });
  logger.info('request', {
    requestId: randomBytes(8).toString('hex').toUpperCase(), operation: 'PutObject', method: 'PUT', bucket: 'bench', key, status: res.statusCode,
    bytes: 0, bytesIn, ms: Math.round((performance.now() - startedAt) * 10) / 10, auth: 'presigned', accessKeyId: auth.accessKeyId, ip: req.socket.remoteAddress ?? '',
  });
}

const LARGE_WRITE = 1024 * 1024;
let largeCount = 0;

/** `large` modes: the body streamed through MD5 (and CRC32) into a temporary file, fsync'd and renamed; its ETag. */
async function storeLarge(req: IncomingMessage): Promise<string> {
  const md5 = createHash('md5');
  let crc = 0;
  const temp = join(dataDir, `tmp-${process.pid}-${largeCount++}`);
  const file = await open(temp, 'w');
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      md5.update(chunk);
      if (mode === 'large-crc32') crc = crc32(chunk, crc);
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= LARGE_WRITE) {
        await file.writev(pending);
        pending = [];
        pendingBytes = 0;
      }
    }
    if (pending.length > 0) await file.writev(pending);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, join(dataDir, `object-${largeCount % 16}`));
  const dir = await open(dataDir, 'r');
  await dir.sync();
  await dir.close();
  // The CRC is what a trailer's checksum would be compared with; the floor only pays for computing it.
  return mode === 'large-crc32' ? `${md5.digest('hex')}-${crc.toString(16)}` : md5.digest('hex');
}

const server = createServer((req, res) => {
  const startedAt = performance.now();
  const auth = mode === 'md5' ? undefined : verified(req.method ?? 'GET', req.url ?? '/', req.headers);
  if (mode !== 'md5' && auth === undefined) {
    res.writeHead(403, { 'content-length': '0' });
    res.end();
    req.resume();
    return;
  }
  if (mode === 'large-get') {
    const path = join(dataDir, 'large.bin');
    stat(path).then(({ size }) => {
      res.writeHead(200, { 'content-length': String(size) });
      createReadStream(path, { highWaterMark: LARGE_WRITE }).pipe(res);
    }, () => res.destroy());
    return;
  }
  if (mode === 'large' || mode === 'large-crc32') {
    storeLarge(req).then((etag) => {
      res.writeHead(200, { etag: `"${etag}"`, 'content-length': '0' });
      res.end();
    }, () => res.destroy());
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const etag = createHash('md5').update(body).digest('hex');
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    const stored = store ? store(path, body, etag) : Promise.resolve();
    stored.then(() => {
      res.writeHead(200, { etag: `"${etag}"`, 'content-length': '0' });
      res.end();
      record(req, res, auth, path, body.length, startedAt);
    }, () => res.destroy());
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => setTimeout(() => process.exit(0), mode === 'durable-pg' ? 500 : 0)));
