import type { Credentials } from '../sigv4/types.js';
import { loadAwsFiles, type AwsFiles, type Env, type ProfileSettings } from './aws-files.js';
import { CliConfigError } from './errors.js';

export const DEFAULT_REGION = 'us-east-1';

export interface CredentialOptions {
  /** --profile: naming a profile explicitly also ignores AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, as in the aws CLI. */
  readonly profile?: string | undefined;
  /** --region */
  readonly region?: string | undefined;
}

export type CredentialSource = 'environment' | 'credentials-file' | 'config-file';

export interface ResolvedCredentials {
  readonly credentials: Credentials;
  readonly region: string;
  /** The profile consulted for region (and for credentials unless they came from the environment). */
  readonly profile: string;
  readonly source: CredentialSource;
}

/**
 * Credentials and region the way the aws CLI finds them:
 * credentials from --profile, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN),
 * else the profile named by AWS_PROFILE (or "default") in the credentials file, then the config file;
 * region from --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, else us-east-1.
 */
export function resolveCredentials(options: CredentialOptions, env: Env, files: AwsFiles = loadAwsFiles(env)): ResolvedCredentials {
  const named = nonEmpty(options.profile) ?? nonEmpty(env['AWS_PROFILE']) ?? nonEmpty(env['AWS_DEFAULT_PROFILE']);
  const profile = named ?? 'default';
  const settings = files.profile(profile);
  const exists = settings.credentials !== undefined || settings.config !== undefined;
  // A mistyped profile name must not silently fall back to other credentials.
  if (named !== undefined && !exists) {
    throw new CliConfigError(`profile '${profile}' not found in ${files.credentialsPath} or ${files.configPath}`);
  }
  const region = resolveRegion(options, env, settings);
  const fromEnv = nonEmpty(options.profile) === undefined ? environmentCredentials(env) : undefined;
  if (fromEnv) return { credentials: fromEnv, region, profile, source: 'environment' };
  const fromProfile = profileCredentials(profile, settings, files);
  if (fromProfile) return { ...fromProfile, region, profile };
  throw new CliConfigError(
    named === undefined
      ? `no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add a [default] profile to ${files.credentialsPath}`
      : `profile '${profile}' has no aws_access_key_id and aws_secret_access_key`,
  );
}

function resolveRegion(options: CredentialOptions, env: Env, settings: ProfileSettings): string {
  const region =
    nonEmpty(options.region) ?? nonEmpty(env['AWS_REGION']) ?? nonEmpty(env['AWS_DEFAULT_REGION']) ?? nonEmpty(settings.config?.get('region')) ?? DEFAULT_REGION;
  if (!/^[a-z0-9-]{1,64}$/.test(region)) throw new CliConfigError(`invalid region: ${region}`);
  return region;
}

function environmentCredentials(env: Env): Credentials | undefined {
  const accessKeyId = nonEmpty(env['AWS_ACCESS_KEY_ID']);
  const secretAccessKey = nonEmpty(env['AWS_SECRET_ACCESS_KEY']);
  if (accessKeyId === undefined && secretAccessKey === undefined) return undefined;
  if (accessKeyId === undefined) throw new CliConfigError('AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not');
  if (secretAccessKey === undefined) throw new CliConfigError('AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not');
  return withToken(accessKeyId, secretAccessKey, nonEmpty(env['AWS_SESSION_TOKEN']) ?? nonEmpty(env['AWS_SECURITY_TOKEN']));
}

function profileCredentials(profile: string, settings: ProfileSettings, files: AwsFiles): { credentials: Credentials; source: CredentialSource } | undefined {
  const sources: [CredentialSource, ReadonlyMap<string, string> | undefined, string][] = [
    ['credentials-file', settings.credentials, files.credentialsPath],
    ['config-file', settings.config, files.configPath],
  ];
  for (const [source, section, path] of sources) {
    if (!section) continue;
    const accessKeyId = nonEmpty(section.get('aws_access_key_id'));
    const secretAccessKey = nonEmpty(section.get('aws_secret_access_key'));
    if (accessKeyId === undefined && secretAccessKey === undefined) continue;
    if (accessKeyId === undefined || secretAccessKey === undefined) {
      const missing = accessKeyId === undefined ? 'aws_access_key_id' : 'aws_secret_access_key';
      throw new CliConfigError(`profile '${profile}' in ${path} has no ${missing}`);
    }
    const token = nonEmpty(section.get('aws_session_token')) ?? nonEmpty(section.get('aws_security_token'));
    return { credentials: withToken(accessKeyId, secretAccessKey, token), source };
  }
  return undefined;
}

function withToken(accessKeyId: string, secretAccessKey: string, sessionToken: string | undefined): Credentials {
  return sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
