import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliConfigError } from './errors.js';
import { parseIni } from './ini.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** One profile's settings, merged from the credentials file and the config file. */
export interface ProfileSettings {
  /** Settings from the credentials file's [NAME] section, if it exists. */
  readonly credentials?: ReadonlyMap<string, string>;
  /** Settings from the config file's [profile NAME] (or [default]) section, if it exists. */
  readonly config?: ReadonlyMap<string, string>;
}

export interface AwsFiles {
  readonly credentialsPath: string;
  readonly configPath: string;
  profile(name: string): ProfileSettings;
}

export function homeDir(env: Env): string {
  return env['HOME'] || env['USERPROFILE'] || homedir();
}

function expandHome(path: string, env: Env): string {
  return path === '~' || path.startsWith('~/') ? join(homeDir(env), path.slice(1)) : path;
}

/** The files the aws CLI reads, honouring AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE. */
export function loadAwsFiles(env: Env): AwsFiles {
  const credentialsPath = expandHome(env['AWS_SHARED_CREDENTIALS_FILE'] || join(homeDir(env), '.aws', 'credentials'), env);
  const configPath = expandHome(env['AWS_CONFIG_FILE'] || join(homeDir(env), '.aws', 'config'), env);
  const credentials = parseIni(readOptional(credentialsPath));
  const config = parseIni(readOptional(configPath));
  return {
    credentialsPath,
    configPath,
    profile(name) {
      // The config file spells profiles "[profile NAME]"; only the default may drop the prefix.
      const fromConfig = config.get(`profile ${name}`) ?? (name === 'default' ? config.get('default') : undefined);
      const fromCredentials = credentials.get(name);
      return { ...(fromCredentials ? { credentials: fromCredentials } : {}), ...(fromConfig ? { config: fromConfig } : {}) };
    },
  };
}

/** A missing file is an empty one (as for the aws CLI); an unreadable one is an error worth reporting. */
function readOptional(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return '';
    throw new CliConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
}
