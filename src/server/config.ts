import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseDurationSeconds } from '../duration.js';
import { TrustedProxies } from '../http/client-address.js';

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly region: string;
  /** Virtual-hosted style: a Host of BUCKET.<domain> names the bucket. */
  readonly domain?: string;
  /** The address clients use when a proxy sits in front (for printed endpoints and generated links). */
  readonly publicUrl?: string;
  readonly rootAccessKey?: string;
  readonly rootSecretKey?: string;
  /** LATCHKEY_MASTER_KEY: 32 bytes, hex or base64. */
  readonly masterKey?: string;
  readonly masterKeyFile?: string;
  /** Multipart uploads not completed or aborted within this many ms are aborted by a background sweep. */
  readonly multipartExpiryMs: number;
  /** Audit records of requests made through pre-signed links are kept this many ms (default 30 days). */
  readonly auditRetentionMs?: number;
  /** Where the web console listens (docs/console.md); undefined with --no-console. */
  readonly console?: { readonly host: string; readonly port: number };
  /** Accept legacy SigV2 (header, query links, POST policies); --sigv2 off refuses them. Default on. */
  readonly sigv2?: boolean;
  /** --metadata / LATCHKEY_METADATA: "sqlite" (embedded, the default) or a postgres:// URL shared by several nodes. */
  readonly metadata?: string;
  /** --node-id / LATCHKEY_NODE_ID: names this node's temp directory in a shared data dir (default: the host name). */
  readonly nodeId?: string;
  /** --blob-grace / LATCHKEY_BLOB_GRACE: with a shared data dir, how long a freed blob stays for readers on other nodes (default 10m). */
  readonly blobGraceMs?: number;
  /** A request body that brings fewer than 1 KiB in any window this long is cut off (--body-timeout, default 60 s). */
  readonly bodyTimeoutMs: number;
  /** Writes that would leave less free space than this on the data dir's filesystem are refused with 507 (--min-free, default 1 GiB). */
  readonly minFreeBytes: number;
  /** Where Prometheus scrapes GET /metrics (--metrics-address); no metrics listener when undefined. */
  readonly metrics?: { readonly host: string; readonly port: number; readonly token?: string };
  /** --tls-cert/--tls-key: the S3 port and the console serve HTTPS (re-read on SIGHUP). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** --trusted-proxy: peers whose X-Forwarded-For names the client; none by default. */
  readonly trustedProxies?: TrustedProxies;
}

export class ConfigError extends Error {}

type Env = Readonly<Record<string, string | undefined>>;

/** Every flag of `latchkey server` (its --help, src/cli/server-help.ts, documents each one). */
export const SERVER_OPTIONS = {
  address: { type: 'string' },
  data: { type: 'string' },
  region: { type: 'string' },
  domain: { type: 'string' },
  'public-url': { type: 'string' },
  'master-key-file': { type: 'string' },
  'multipart-expiry': { type: 'string' },
  'audit-retention': { type: 'string' },
  'console-address': { type: 'string' },
  'no-console': { type: 'boolean' },
  sigv2: { type: 'string' },
  'metrics-address': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'trusted-proxy': { type: 'string' },
  metadata: { type: 'string' },
  'node-id': { type: 'string' },
  'blob-grace': { type: 'string' },
  'min-free': { type: 'string' },
  'body-timeout': { type: 'string' },
} as const;

/** Flags win over LATCHKEY_* environment variables, which win over defaults. */
export function loadServerConfig(args: readonly string[], env: Env): ServerConfig {
  const { values } = parseArgs({
    args: [...args],
    options: SERVER_OPTIONS,
    strict: true,
    allowPositionals: false,
  });
  const { host, port } = parseAddress(values.address ?? env['LATCHKEY_ADDRESS'] ?? '127.0.0.1:9000');
  // A server on an ephemeral port (tests, scripts) gets an ephemeral console too, so several can run side by side.
  const consoleText = values['console-address'] ?? env['LATCHKEY_CONSOLE_ADDRESS'] ?? (port === 0 ? '127.0.0.1:0' : '127.0.0.1:9001');
  const consoleAddress = values['no-console'] ? undefined : parseAddress(consoleText, '--console-address');
  const region = values.region ?? env['LATCHKEY_REGION'] ?? 'us-east-1';
  if (!/^[a-z0-9-]{1,64}$/.test(region)) throw new ConfigError(`invalid region: ${region}`);
  const publicUrl = values['public-url'] ?? env['LATCHKEY_PUBLIC_URL'];
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+\/?$/.test(publicUrl)) {
    throw new ConfigError(`--public-url must be an origin such as https://files.example.com, got ${publicUrl}`);
  }
  const domain = values.domain ?? env['LATCHKEY_DOMAIN'];
  const rootAccessKey = env['LATCHKEY_ROOT_ACCESS_KEY'];
  const rootSecretKey = env['LATCHKEY_ROOT_SECRET_KEY'];
  if ((rootAccessKey === undefined) !== (rootSecretKey === undefined)) {
    throw new ConfigError('set both LATCHKEY_ROOT_ACCESS_KEY and LATCHKEY_ROOT_SECRET_KEY, or neither');
  }
  const metricsText = values['metrics-address'] ?? env['LATCHKEY_METRICS_ADDRESS'];
  const metricsToken = env['LATCHKEY_METRICS_TOKEN'] || undefined;
  if (metricsToken !== undefined && metricsText === undefined) throw new ConfigError('LATCHKEY_METRICS_TOKEN is set but no --metrics-address (LATCHKEY_METRICS_ADDRESS)');
  const tlsCert = values['tls-cert'] ?? env['LATCHKEY_TLS_CERT'];
  const tlsKey = values['tls-key'] ?? env['LATCHKEY_TLS_KEY'];
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new ConfigError('set both --tls-cert and --tls-key (LATCHKEY_TLS_CERT, LATCHKEY_TLS_KEY), or neither');
  if (publicUrl?.startsWith('http://') && tlsCert !== undefined) throw new ConfigError(`--public-url ${publicUrl} is http:// but the server serves HTTPS (--tls-cert)`);
  return {
    host,
    port,
    dataDir: resolve(values.data ?? env['LATCHKEY_DATA_DIR'] ?? './data'),
    region,
    ...(domain ? { domain: domain.toLowerCase() } : {}),
    ...(publicUrl ? { publicUrl: publicUrl.replace(/\/$/, '') } : {}),
    ...(rootAccessKey !== undefined && rootSecretKey !== undefined ? { rootAccessKey, rootSecretKey } : {}),
    ...(env['LATCHKEY_MASTER_KEY'] ? { masterKey: env['LATCHKEY_MASTER_KEY'] } : {}),
    ...(values['master-key-file'] ? { masterKeyFile: resolve(values['master-key-file']) } : {}),
    multipartExpiryMs: parseDuration('--multipart-expiry', values['multipart-expiry'] ?? env['LATCHKEY_MULTIPART_EXPIRY'] ?? '7d'),
    auditRetentionMs: parseDuration('--audit-retention', values['audit-retention'] ?? env['LATCHKEY_AUDIT_RETENTION'] ?? '30d'),
    ...(consoleAddress ? { console: consoleAddress } : {}),
    sigv2: parseSwitch('--sigv2', values.sigv2 ?? env['LATCHKEY_SIGV2'] ?? 'on'),
    metadata: parseMetadata(values.metadata ?? env['LATCHKEY_METADATA'] ?? 'sqlite'),
    nodeId: parseNodeId(values['node-id'] ?? env['LATCHKEY_NODE_ID'] ?? hostname()),
    blobGraceMs: parseDuration('--blob-grace', values['blob-grace'] ?? env['LATCHKEY_BLOB_GRACE'] ?? '10m'),
    bodyTimeoutMs: parseDuration('--body-timeout', values['body-timeout'] ?? env['LATCHKEY_BODY_TIMEOUT'] ?? '60s'),
    minFreeBytes: parseSize('--min-free', values['min-free'] ?? env['LATCHKEY_MIN_FREE'] ?? '1GiB'),
    ...(tlsCert !== undefined && tlsKey !== undefined ? { tls: { certFile: resolve(tlsCert), keyFile: resolve(tlsKey) } } : {}),
    ...(metricsText ? { metrics: { ...parseAddress(metricsText, '--metrics-address'), ...(metricsToken ? { token: metricsToken } : {}) } } : {}),
    ...trustedProxiesOption(values['trusted-proxy'] ?? env['LATCHKEY_TRUSTED_PROXY']),
  };
}

function parseMetadata(text: string): string {
  if (text === 'sqlite' || /^postgres(ql)?:\/\/./.test(text)) return text;
  throw new ConfigError('--metadata must be sqlite or a postgres://USER:PASS@HOST:PORT/DB URL');
}

function parseNodeId(text: string): string {
  // It becomes a directory name under tmp/.
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(text)) return text;
  throw new ConfigError(`--node-id must be 1-64 letters, digits, dots, dashes or underscores, got ${text}`);
}

function trustedProxiesOption(text: string | undefined): { trustedProxies?: TrustedProxies } {
  if (text === undefined || text.trim() === '') return {};
  const trustedProxies = TrustedProxies.parse(text);
  if (trustedProxies === undefined) throw new ConfigError(`--trusted-proxy must be CIDR blocks or addresses separated by commas (e.g. 10.0.0.0/8,127.0.0.1), got ${text}`);
  return { trustedProxies };
}

/** on/off (also true/false, 1/0, yes/no). */
export function parseSwitch(name: string, text: string): boolean {
  const value = text.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(value)) return true;
  if (['off', 'false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(`${name} must be on or off, got ${text}`);
}

/** "7d", "12h", "30m", "90s", or plain seconds, in milliseconds. */
function parseDuration(name: string, text: string): number {
  const ms = (parseDurationSeconds(text) ?? NaN) * 1000;
  if (!(ms > 0)) throw new ConfigError(`${name} must be a duration such as 7d, 12h, 30m or 90s, got ${text}`);
  return ms;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3, tb: 1000 ** 4 };

/** "64MiB", "512MiB", "1GiB", "500MB", or plain bytes; 0 turns the check off. */
export function parseSize(name: string, text: string): number {
  const m = /^(\d{1,15})\s*([a-z]*)$/i.exec(text.trim());
  const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()];
  const bytes = m && unit !== undefined ? Number(m[1]) * unit : NaN;
  if (!Number.isSafeInteger(bytes)) throw new ConfigError(`${name} must be a size such as 64MiB, 512MiB or 1GiB, got ${text}`);
  return bytes;
}

export function parseAddress(text: string, flag = '--address'): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${flag} must be HOST:PORT (e.g. 127.0.0.1:9000 or 0.0.0.0:9000), got ${text}`);
  return { host: m[1] ?? m[2] ?? '', port };
}
