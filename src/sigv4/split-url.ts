export interface UrlParts {
  /** scheme://host[:port] */
  readonly origin: string;
  readonly host: string;
  /** Exactly as written: WHATWG URL parsing would fold '.', '..' and '\\', which are literal in S3 keys. */
  readonly path: string;
  readonly query: string;
}

const ABSOLUTE = /^([a-z][a-z0-9+.-]*:)\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/i;

export function splitUrl(url: string | URL): UrlParts {
  const m = ABSOLUTE.exec(typeof url === 'string' ? url : url.href);
  if (!m) throw new TypeError(`not an absolute URL: ${String(url)}`);
  const [, scheme = '', host = '', path = '', query = ''] = m;
  return { origin: `${scheme.toLowerCase()}//${host}`, host, path: path === '' ? '/' : path, query };
}
