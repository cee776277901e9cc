import { parseArgs } from 'node:util';
import { resolve } from 'node:path';

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
}

export class ConfigError extends Error {}

type Env = Readonly<Record<string, string | undefined>>;

/** Flags win over LATCHKEY_* environment variables, which win over defaults. */
export function loadServerConfig(args: readonly string[], env: Env): ServerConfig {
  const { values } = parseArgs({
    args: [...args],
    options: {
      address: { type: 'string' },
      data: { type: 'string' },
      region: { type: 'string' },
      domain: { type: 'string' },
      'public-url': { type: 'string' },
      'master-key-file': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const { host, port } = parseAddress(values.address ?? env['LATCHKEY_ADDRESS'] ?? '127.0.0.1:9000');
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
  };
}

export function parseAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`--address must be HOST:PORT (e.g. 127.0.0.1:9000 or 0.0.0.0:9000), got ${text}`);
  return { host: m[1] ?? m[2] ?? '', port };
}
