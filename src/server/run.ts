import { createServer, type Server } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { Server as TlsServer } from 'node:tls';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { nodeCrypto } from '../sigv4/node-crypto.js';
import { SigningKeyCache } from '../sigv4/signing-key.js';
import { Identities, MASTER_KEY_CHECK, MasterKeyMismatchError } from '../identity/identities.js';
import { GENERATED_KEY_FILE, loadMasterKey, type LoadedMasterKey } from '../identity/master-key.js';
import { SecretBox } from '../identity/secret-box.js';
import { adminApi } from '../admin/admin-api.js';
import { uploadPage } from '../upload-page/upload-page.js';
import { Authorizer } from '../s3/authorize.js';
import { stsApi } from '../sts/sts-api.js';
import { createS3Handler } from '../s3/handler.js';
import type { Api, Resolved } from '../s3/pipeline.js';
import { RequestContexts } from '../s3/context.js';
import { SlowBodyGuard } from '../s3/slow-body-guard.js';
import { VerifiedRequestCache } from '../s3/verified-cache.js';
import { FreeSpaceGate } from '../s3/free-space-gate.js';
import { freeBytes } from './disk-space.js';
import { LinkMemo } from '../links/link-memo.js';
import { LinkService } from '../links/link-service.js';
import { resolveAddress } from '../s3/addressing.js';
import { storedCorsSource } from '../s3/cors.js';
import { parsePostPolicy } from '../s3/post-object/policy.js';
import { OPERATIONS } from '../s3/operations/index.js';
import { metadataBackend, type MetadataBackend } from '../storage/backend.js';
import { Storage } from '../storage/storage.js';
import type { ServerConfig } from './config.js';
import type { Logger } from '../logger.js';
import { loadRootCredentials, ROOT_CREDENTIALS_FILE } from './root-credentials.js';
import { healthApi } from './health.js';
import { metricsHandler, ServerMetrics } from './metrics.js';
import { loadTlsPair, reloadOnSighup, type TlsPair } from '../http/tls.js';
import { startConsole, type RunningConsole } from '../console/console-server.js';
import { lockDataDir } from './data-dir-lock.js';
import { EarlyListener } from '../http/early-listener.js';
import { giveHeapRoomForBodies } from './heap-growth.js';
import { newHttpServer } from '../http/http-server.js';

export interface RunningServer {
  readonly endpoint: string;
  readonly server: Server;
  /** The web console's address; undefined with --no-console. */
  readonly consoleEndpoint: string | undefined;
  /** Stop accepting, let in-flight requests finish (bounded), close storage. */
  close(): Promise<void>;
}

const DRAIN_TIMEOUT_MS = 10_000;
const HOUSEKEEPING_MS = 5_000;
/** Free space and the object count (a scan of an index) are refreshed this often, not per scrape. */
const STORAGE_STATS_MS = 15_000;
/** Readiness reads this bucket name, which no bucket can have (too short): a real query that finds nothing. */
const HEALTH_PROBE_BUCKET = '-';
/** Expired multipart uploads are looked for this often: a quarter of the expiry, within these bounds. */
const UPLOAD_SWEEP_MIN_MS = 1_000;
const UPLOAD_SWEEP_MAX_MS = 10 * 60_000;
const DEFAULT_BLOB_GRACE_MS = 10 * 60_000;
/** Derived SigV4 signing keys remembered (a key per access key, day, region and service). */
const SIGNING_KEYS_CAPACITY = 1024;

/**
 * Start-up order: the certificate, the ports, then the data dir's lock, and
 * only then anything in the dir, so a server that cannot serve, cannot listen
 * or finds the dir in use leaves it exactly as it was (see data-dir-lock.ts).
 */
export async function startS3Server(config: ServerConfig, logger: Logger): Promise<RunningServer> {
  // Before anything opens: a certificate that cannot serve is a configuration error.
  const tlsPair = config.tls ? await loadTlsPair(config.tls) : undefined;
  const undo: (() => unknown)[] = [];
  try {
    const s3 = await EarlyListener.bind(newHttpServer(tlsPair), config.host, config.port, 'S3');
    undo.push(() => s3.abandon());
    const consoleListener = config.console ? await EarlyListener.bind(newHttpServer(tlsPair), config.console.host, config.console.port, 'console') : undefined;
    if (consoleListener) undo.push(() => consoleListener.abandon());
    const metricsListener = config.metrics ? await EarlyListener.bind(createServer(), config.metrics.host, config.metrics.port, 'metrics') : undefined;
    if (metricsListener) undo.push(() => metricsListener.abandon());
    const backend = metadataBackend(config.metadata ?? 'sqlite');
    // With a server database the data dir is shared by design; embedded, it is one server's alone.
    const lock = backend.sharedDataDir ? undefined : lockDataDir(config.dataDir);
    if (lock) undo.push(() => lock.release());
    const running = await serveDataDir(config, logger, backend, tlsPair, { s3, console: consoleListener, metrics: metricsListener }, undo);
    return { ...running, close: () => running.close().finally(() => lock?.release()) };
  } catch (error) {
    for (const step of undo.reverse()) await step();
    throw error;
  }
}

async function serveDataDir(
  config: ServerConfig,
  logger: Logger,
  backend: MetadataBackend,
  tlsPair: TlsPair | undefined,
  listeners: { s3: EarlyListener; console: EarlyListener | undefined; metrics: EarlyListener | undefined },
  undo: (() => unknown)[],
): Promise<RunningServer> {
  const masterKey = await openMasterKey(config, backend);
  // With a server database the data dir is shared by design: this node's temp files go apart and freed blobs wait out the grace period.
  const shared = backend.sharedDataDir ? { nodeId: config.nodeId ?? hostname(), blobGraceMs: config.blobGraceMs ?? DEFAULT_BLOB_GRACE_MS } : undefined;
  const { storage, recovery } = await Storage.open(config.dataDir, backend, (message, error) => logger.warn(message, { error: String(error) }), shared);
  undo.push(() => storage.close());
  await Identities.recordMasterKey(storage.metadata.identities, new SecretBox(masterKey.key));
  if (masterKey.origin === 'generated') {
    logger.warn('master key generated: back it up, secrets in the data dir cannot be read without it', { path: masterKey.path });
  }
  if (recovery.tempFilesRemoved + recovery.orphanBlobsRemoved > 0) logger.info('recovered data dir', { ...recovery });
  const root = await loadRootCredentials(
    config.dataDir,
    config.rootAccessKey !== undefined && config.rootSecretKey !== undefined ? { accessKeyId: config.rootAccessKey, secretAccessKey: config.rootSecretKey } : undefined,
  );
  const identities = new Identities(storage.metadata.identities, new SecretBox(masterKey.key), root);

  const now = () => Date.now();
  const authorizer = new Authorizer(storage.metadata.identities, now, async (bucket, key) => {
    const found = await storage.metadata.getObject(bucket, key);
    return found.kind === 'found' ? found.object.tags : null;
  });
  const auth = {
    region: config.region,
    crypto: nodeCrypto,
    keyCache: new SigningKeyCache(nodeCrypto, new LRUCache<string, Uint8Array>({ max: SIGNING_KEYS_CAPACITY })),
    lookupKey: (id: string) => identities.resolveKey(id),
    now,
    sigv2: config.sigv2 ?? true,
    verifiedCache: new VerifiedRequestCache(),
  };
  const links = new LinkService({
    store: storage.metadata.links,
    logger,
    now,
    auditRetentionMs: config.auditRetentionMs ?? 30 * 86_400_000,
    memo: new LinkMemo(),
    reading: {
      region: config.region,
      address: (host, wirePath) => resolveAddress(host, wirePath, config.domain),
      postPolicy: parsePostPolicy,
    },
  });
  const metrics = config.metrics ? new ServerMetrics() : undefined;
  const space = new FreeSpaceGate(config.minFreeBytes, () => freeBytes(config.dataDir));
  // Health and the upload page before the admin API, which claims every other /_latchkey/ path.
  const apis: Api<Resolved>[] = [
    healthApi({
      probeMetadata: () => storage.metadata.getBucket(HEALTH_PROBE_BUCKET),
      dataDir: config.dataDir,
      minFreeBytes: config.minFreeBytes,
      freeBytes,
    }),
    uploadPage(),
    adminApi({ logger, auth, authorizer, identities, links }), stsApi({ logger, auth, identities }),
  ];
  const handler = createS3Handler({
    auth,
    logger,
    operations: OPERATIONS,
    operationDeps: { region: config.region, now, storage, metadata: storage.metadata, identities: storage.metadata.identities, authorizer },
    apis,
    cors: storedCorsSource(storage.metadata, storage.metadata.identities),
    links,
    bodyGuard: new SlowBodyGuard(config.bodyTimeoutMs, logger),
    space,
    ...(metrics ? { metrics } : {}),
    contexts: new RequestContexts(config.trustedProxies, config.domain),
  });

  const { s3, console: consoleListener } = listeners;
  const server = s3.server;
  const tlsServer = tlsPair ? (server as unknown as TlsServer) : undefined;
  // Expect: 100-continue goes through the same handler: the body reader sends
  // "100 Continue" only after auth passed, so refused uploads never transfer.
  // Any other Expect is ignored, as S3 does (Node would answer 417 without a listener).
  s3.serve(handler, { handlesExpect: true });
  const endpoint = s3.endpoint();
  const publicEndpoint = config.publicUrl ?? endpoint;
  logger.info('listening', { endpoint, publicUrl: config.publicUrl, dataDir: config.dataDir, metadata: backend.description, region: config.region });
  let consoleServer: RunningConsole | undefined;
  if (config.console) {
    consoleServer = await startConsole({
      ...config.console,
      ...(consoleListener ? { listener: consoleListener } : {}),
      identities,
      rootAccessKeyId: root.accessKeyId,
      // The console calls the S3 API over loopback even when S3 listens on every interface.
      s3Endpoint: endpoint.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:'),
      publicEndpoint,
      region: config.region,
      dataDir: config.dataDir,
      store: storage.metadata.console,
      logger,
      keyCache: auth.keyCache,
      links: { store: storage.metadata.links, flushAudit: () => links.audit.flush() },
      ...(tlsPair ? { tls: tlsPair } : {}),
      ...(config.trustedProxies === undefined ? {} : { trustedProxies: config.trustedProxies }),
    });
    logger.info('console', { console: consoleServer.endpoint });
  }
  const stopReloading = config.tls && tlsServer
    ? reloadOnSighup(config.tls, [tlsServer, consoleServer?.tlsServer].filter((s): s is TlsServer => s !== undefined), logger)
    : undefined;
  let storageStats: NodeJS.Timeout | undefined;
  const metricsListener = listeners.metrics;
  if (metrics && config.metrics && metricsListener) {
    metricsListener.serve(metricsHandler({ token: config.metrics.token, metrics, logger }), { handlesExpect: false });
    logger.info('metrics', { metrics: `${metricsListener.endpoint()}/metrics` });
    const refresh = () => {
      Promise.all([freeBytes(config.dataDir), storage.metadata.countObjects()])
        .then(([free, objects]) => metrics.setStorage({ freeBytes: free, objects }))
        .catch((error: unknown) => logger.warn('storage metrics failed', { error: String(error) }));
    };
    refresh();
    storageStats = setInterval(refresh, STORAGE_STATS_MS);
    storageStats.unref();
  }
  const fromEnv = config.rootAccessKey !== undefined;
  logger.info('root credentials', { accessKeyId: root.accessKeyId, file: fromEnv ? undefined : join(config.dataDir, ROOT_CREDENTIALS_FILE), from: fromEnv ? 'LATCHKEY_ROOT_ACCESS_KEY' : undefined });
  if (root.generated) {
    logger.info('root credentials generated (shown once; kept in the data dir with mode 0600)', { accessKeyId: root.accessKeyId, secretAccessKey: root.secretAccessKey });
    // The command is the message, so a terminal shows it bare, ready to paste.
    logger.info(`try it: AWS_ACCESS_KEY_ID=${root.accessKeyId} AWS_SECRET_ACCESS_KEY='${root.secretAccessKey}' aws --endpoint-url ${publicEndpoint} s3 mb s3://my-bucket`);
  }

  const housekeeping = setInterval(() => {
    identities.housekeeping(new Date()).catch((error: unknown) => logger.warn('housekeeping failed', { error: String(error) }));
  }, HOUSEKEEPING_MS);
  housekeeping.unref();
  let uploadSweep: Promise<void> = Promise.resolve();
  const sweepUploads = () => {
    uploadSweep = storage.multipart.sweep(new Date(Date.now() - config.multipartExpiryMs)).then(
      (swept) => {
        if (swept.expired + swept.freed > 0) logger.info('expired multipart uploads', { ...swept });
      },
      (error: unknown) => logger.warn('multipart upload sweep failed', { error: String(error) }),
    );
  };
  const uploadSweeper = setInterval(sweepUploads, Math.min(UPLOAD_SWEEP_MAX_MS, Math.max(UPLOAD_SWEEP_MIN_MS, config.multipartExpiryMs / 4)));
  uploadSweeper.unref();
  sweepUploads();
  let blobSweep: Promise<void> = Promise.resolve();
  const blobSweeper = shared === undefined ? undefined : setInterval(() => {
    blobSweep = blobSweep.then(async () => {
      const freed = await storage.sweepFreed();
      const orphans = await storage.sweepOrphans();
      if (freed + (orphans?.removed ?? 0) > 0) logger.info('swept blobs', { freed, orphans: orphans?.removed ?? 0 });
    }).catch((error: unknown) => logger.warn('blob sweep failed', { error: String(error) }));
  }, Math.min(UPLOAD_SWEEP_MAX_MS, Math.max(UPLOAD_SWEEP_MIN_MS, shared.blobGraceMs / 4)));
  blobSweeper?.unref();

  return {
    endpoint,
    consoleEndpoint: consoleServer?.endpoint,
    server,
    async close() {
      stopReloading?.();
      clearInterval(housekeeping);
      clearInterval(storageStats);
      await metricsListener?.abandon();
      await consoleServer?.close();
      clearInterval(uploadSweeper);
      clearInterval(blobSweeper);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
      await closed;
      clearTimeout(timer);
      await identities.housekeeping(new Date());
      await uploadSweep;
      await blobSweep;
      // After the last request closed: its audit record is in memory until this flush.
      await links.close();
      await storage.close();
    },
  };
}

/**
 * The master key, checked against the data dir before anything in it changes.
 * A data dir whose secrets were sealed with a key that is not given is refused
 * rather than handed a fresh key that could never open them.
 */
async function openMasterKey(config: ServerConfig, backend: MetadataBackend): Promise<LoadedMasterKey> {
  const sealed = await backend.peekSetting(config.dataDir, MASTER_KEY_CHECK);
  const generatedFile = join(config.dataDir, GENERATED_KEY_FILE);
  if (sealed !== null && config.masterKey === undefined && config.masterKeyFile === undefined && !existsSync(generatedFile)) {
    throw new MasterKeyMismatchError(`this data directory's secrets were sealed with a master key that is not here: set LATCHKEY_MASTER_KEY or --master-key-file (or restore ${generatedFile})`);
  }
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const loaded = await loadMasterKey({ fromEnv: config.masterKey, file: config.masterKeyFile, dataDir: config.dataDir });
  Identities.verifyMasterKey(sealed, new SecretBox(loaded.key));
  return loaded;
}

/** `latchkey server`: run until SIGINT or SIGTERM, then shut down gracefully. */
export async function runServer(config: ServerConfig, logger: Logger): Promise<void> {
  giveHeapRoomForBodies();
  const running = await startS3Server(config, logger);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info('shutting down', { signal });
      running.close().then(resolve, (error: unknown) => {
        logger.error('shutdown failed', { error: String(error) });
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
