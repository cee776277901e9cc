import type { Credentials } from '../sigv4/types.js';
import { loadAwsFiles, type Env } from './aws-files.js';
import { resolveCredentials, type CredentialSource } from './credentials.js';
import { resolveEndpoint } from './endpoint.js';

/** The flags every client command accepts (latchkey user/key/policy/bucket, and presign). */
export interface ClientFlags {
  readonly 'endpoint-url'?: string | undefined;
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
}

export interface ClientConfig {
  /** Origin such as http://127.0.0.1:9000. */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: Credentials;
  readonly profile: string;
  readonly source: CredentialSource;
}

/** Everything a client needs to sign requests to a Latchkey server; throws CliConfigError on bad or missing settings. */
export function resolveClientConfig(flags: ClientFlags, env: Env): ClientConfig {
  const endpoint = resolveEndpoint(flags['endpoint-url'], env);
  const resolved = resolveCredentials({ profile: flags.profile, region: flags.region }, env, loadAwsFiles(env));
  return { endpoint, ...resolved };
}

/** The parseArgs option table for ClientFlags. */
export const CLIENT_OPTIONS = {
  'endpoint-url': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
} as const;
