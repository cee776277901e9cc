import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { parseQuery, type QueryPair } from '../sigv4/canonical-query.js';
import type { SignableRequest } from '../sigv4/types.js';
import type { Principal } from '../identity/identities.js';

export type AuthType = 'header' | 'presigned' | 'anonymous';

/** Everything one request carries through routing, auth and the operation (ReqCtx). */
/** Request ids: a random prefix per process and a counter, unique without a random draw per request. */
const ID_PREFIX = randomBytes(4).toString('hex').toUpperCase();
let idCounter = 0;

export class RequestContext {
  readonly id = `${ID_PREFIX}${(idCounter++ % 0x100000000).toString(16).toUpperCase().padStart(8, '0')}`;
  readonly startedAt = performance.now();
  readonly method: string;
  readonly wirePath: string;
  readonly rawQuery: string;
  readonly queryPairs: readonly QueryPair[];
  /** First value of each parameter. */
  readonly query: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string[]>>;
  bucket: string | undefined;
  key: string | undefined;
  /** The S3 operation, or another API's name for what was asked (for logs). */
  operation: string | undefined;
  authType: AuthType = 'anonymous';
  /** Who signed; undefined for anonymous requests. */
  principal: Principal | undefined;
  bytesOut = 0;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {
    this.method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.wirePath = q === -1 ? url : url.slice(0, q);
    this.rawQuery = q === -1 ? '' : url.slice(q + 1);
    this.queryPairs = parseQuery(this.rawQuery);
    const query = new Map<string, string>();
    for (const [name, value] of this.queryPairs) if (!query.has(name)) query.set(name, value);
    this.query = query;
    this.headers = req.headersDistinct as Record<string, string[]>;
  }

  /** A header's value; repeats joined with ',' as HTTP allows. */
  header(name: string): string | undefined {
    const values = this.headers[name];
    return values === undefined ? undefined : values.join(',');
  }

  get signable(): SignableRequest {
    return { method: this.method, path: this.wirePath, query: this.rawQuery, queryPairs: this.queryPairs, headers: this.headers };
  }

  /** "/bucket/key" for the <Resource> of error bodies. */
  get resource(): string {
    if (this.bucket === undefined) return '/';
    return this.key === undefined ? `/${this.bucket}` : `/${this.bucket}/${this.key}`;
  }
}
