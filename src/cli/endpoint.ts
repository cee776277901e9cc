import type { Env } from './aws-files.js';
import { CliConfigError } from './errors.js';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:9000';

/** --endpoint-url, else LATCHKEY_ENDPOINT, else the server's default address; returned as an origin without a trailing slash. */
export function resolveEndpoint(flag: string | undefined, env: Env): string {
  const text = flag || env['LATCHKEY_ENDPOINT'] || DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliConfigError(`endpoint must be a URL such as ${DEFAULT_ENDPOINT}, got ${text}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliConfigError(`endpoint must use http or https, got ${text}`);
  // Requests are signed over the path, so a prefix a proxy strips would break every signature.
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new CliConfigError(`endpoint must be an origin such as ${DEFAULT_ENDPOINT} (no path, query or user info), got ${text}`);
  }
  return url.origin;
}
