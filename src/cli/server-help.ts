import type { SERVER_OPTIONS } from '../server/config.js';

interface FlagHelp {
  /** As typed, with its value's placeholder. */
  readonly usage: string;
  readonly env: string;
  readonly default: string;
  readonly meaning: string;
}

/** One entry per server flag: the type makes a flag added to SERVER_OPTIONS without its help a compile error. */
const FLAGS: Readonly<Record<keyof typeof SERVER_OPTIONS, FlagHelp>> = {
  address: { usage: '--address HOST:PORT', env: 'LATCHKEY_ADDRESS', default: '127.0.0.1:9000', meaning: 'where the S3 API listens; 0.0.0.0:9000 serves the network' },
  data: { usage: '--data DIR', env: 'LATCHKEY_DATA_DIR', default: './data', meaning: 'metadata database, object files, generated credentials and master key' },
  region: { usage: '--region R', env: 'LATCHKEY_REGION', default: 'us-east-1', meaning: 'the region clients sign for' },
  domain: { usage: '--domain D', env: 'LATCHKEY_DOMAIN', default: '(none)', meaning: 'virtual-hosted style: BUCKET.<D> names a bucket' },
  'public-url': { usage: '--public-url URL', env: 'LATCHKEY_PUBLIC_URL', default: '(none)', meaning: 'the address clients use behind a proxy (printed endpoints, console links)' },
  'console-address': { usage: '--console-address HOST:PORT', env: 'LATCHKEY_CONSOLE_ADDRESS', default: '127.0.0.1:9001', meaning: 'the web console' },
  'no-console': { usage: '--no-console', env: '', default: '', meaning: 'run without the web console' },
  'master-key-file': { usage: '--master-key-file FILE', env: 'LATCHKEY_MASTER_KEY (the key itself)', default: '<data>/master.key, generated', meaning: 'the 32-byte key sealing secrets at rest' },
  'multipart-expiry': { usage: '--multipart-expiry T', env: 'LATCHKEY_MULTIPART_EXPIRY', default: '7d', meaning: 'multipart uploads neither completed nor aborted are removed after this long' },
  'audit-retention': { usage: '--audit-retention T', env: 'LATCHKEY_AUDIT_RETENTION', default: '30d', meaning: 'how long the link audit log keeps each request' },
  sigv2: { usage: '--sigv2 on|off', env: 'LATCHKEY_SIGV2', default: 'on', meaning: 'accept legacy SigV2 signatures' },
  'metrics-address': { usage: '--metrics-address HOST:PORT', env: 'LATCHKEY_METRICS_ADDRESS', default: '(none)', meaning: 'serve Prometheus metrics at /metrics (LATCHKEY_METRICS_TOKEN: require this bearer token)' },
  'tls-cert': { usage: '--tls-cert FILE', env: 'LATCHKEY_TLS_CERT', default: '(none)', meaning: 'PEM certificate chain: serve HTTPS on the S3 port and the console (re-read on SIGHUP)' },
  'trusted-proxy': { usage: '--trusted-proxy CIDR[,CIDR...]', env: 'LATCHKEY_TRUSTED_PROXY', default: '(none)', meaning: 'proxies whose X-Forwarded-For names the client' },
  'tls-key': { usage: '--tls-key FILE', env: 'LATCHKEY_TLS_KEY', default: '(none)', meaning: "the certificate's PEM private key" },
  metadata: { usage: '--metadata sqlite|postgres://USER:PASS@HOST:PORT/DB', env: 'LATCHKEY_METADATA', default: 'sqlite', meaning: 'the metadata database: embedded SQLite, or PostgreSQL shared by several nodes (docs/cluster.md)' },
  'node-id': { usage: '--node-id ID', env: 'LATCHKEY_NODE_ID', default: 'the host name', meaning: "with PostgreSQL: this node's name in the shared data dir (tmp/<ID>/), unique among the nodes" },
  'blob-grace': { usage: '--blob-grace T', env: 'LATCHKEY_BLOB_GRACE', default: '10m', meaning: 'with PostgreSQL: how long a freed object file stays for readers on other nodes' },
  'min-free': {
    usage: '--min-free SIZE', env: 'LATCHKEY_MIN_FREE', default: '1GiB',
    meaning: "free space kept on the data dir's filesystem (64MiB, 512MiB, 1GiB; 0: off): writes that would use it answer 507 InsufficientStorage, deletes always work",
  },
  'body-timeout': {
    usage: '--body-timeout T', env: 'LATCHKEY_BODY_TIMEOUT', default: '60s',
    meaning: 'a request body bringing fewer than 1 KiB in this long is cut off (connection closed, nothing stored)',
  },
};

export function serverHelp(): string {
  const rows = Object.values(FLAGS).map((f) => {
    const env = f.env === '' ? '' : `env ${f.env}`;
    const def = f.default === '' ? '' : `default ${f.default}`;
    return `  ${f.usage}\n      ${f.meaning}${env || def ? `\n      ${[env, def].filter((x) => x !== '').join('; ')}` : ''}\n`;
  });
  return `Usage: latchkey server [flags]

Runs the S3 API (and the web console) until SIGINT or SIGTERM. Flags win over
environment variables, which win over defaults. Durations: 90s, 30m, 12h, 7d.
One server per data dir: a second one on a dir in use exits with status 1.

${rows.join('')}
Also from the environment: LATCHKEY_ROOT_ACCESS_KEY and LATCHKEY_ROOT_SECRET_KEY
(the root credentials; generated into <data>/root-credentials.json when unset).
`;
}
