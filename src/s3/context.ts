import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { parseQuery, type QueryPair } from '../sigv4/canonical-query.js';
import type { SignableRequest } from '../sigv4/types.js';
import { clientAddress, TrustedProxies } from '../http/client-address.js';
import { resolveAddress, type Address } from './addressing.js';
import { hasNonAscii, headerText } from './header-text.js';

/** A query string split and decoded, with the first value of each parameter. */
export interface ParsedQuery {
  readonly pairs: readonly QueryPair[];
  readonly first: ReadonlyMap<string, string>;
}

const PARSED_QUERIES_CAPACITY = 2048;
const MAX_REMEMBERED_QUERY = 4096;
const NO_QUERY: ParsedQuery = { pairs: [], first: new Map() };

/**
 * What every request's context draws on, one per server (the composition
 * root makes it): request ids, remembered query parses, and the proxies whose
 * X-Forwarded-For names the client.
 */
export class RequestContexts {
  /** Request ids: a random prefix per server and a counter, unique without a random draw per request. */
  private readonly idPrefix = randomBytes(4).toString('hex').toUpperCase();
  private idCounter = 0;
  /**
   * Parsed query strings by their raw text. Parsing is a pure function of the
   * text, and a download link is fetched with the same query over and over
   * (its decoding, X-Amz-Credential's %2F and all, was a measurable part of a
   * GET). Other methods' queries (an upload link is used once) and long ones
   * are parsed every time: remembering them only churned the memo.
   */
  private readonly parsedQueries = new LRUCache<string, ParsedQuery>({ max: PARSED_QUERIES_CAPACITY });

  constructor(
    readonly trustedProxies: TrustedProxies = TrustedProxies.NONE,
    /** --domain: a Host under it names a bucket (virtual-hosted style). */
    readonly domain: string | undefined = undefined,
  ) {}

  nextId(): string {
    return `${this.idPrefix}${(this.idCounter++ % 0x100000000).toString(16).toUpperCase().padStart(8, '0')}`;
  }

  parseQuery(raw: string, remember: boolean): ParsedQuery {
    if (raw === '') return NO_QUERY;
    const known = remember ? this.parsedQueries.get(raw) : undefined;
    if (known !== undefined) return known;
    const pairs = parseQuery(raw);
    const first = new Map<string, string>();
    for (const [name, value] of pairs) if (!first.has(name)) first.set(name, value);
    const parsed = { pairs, first };
    if (remember && raw.length <= MAX_REMEMBERED_QUERY) this.parsedQueries.set(raw, parsed);
    return parsed;
  }
}

/**
 * What a request is as it arrives (ReqCtx): method, path, query, headers,
 * client address, request id. No stage writes into it: what a stage finds
 * (the address, the operation, who signed) is its return value, handed to the
 * next stages by the pipeline (src/s3/pipeline.ts), which also keeps the
 * request's `Outcome` for the log, metrics and audit. The one exception is
 * the two byte counters, meters of the exchange itself (like
 * `res.statusCode`): whoever moves body bytes counts them as they pass.
 */
export class RequestContext {
  readonly id: string;
  readonly startedAt = performance.now();
  readonly method: string;
  readonly wirePath: string;
  readonly rawQuery: string;
  /** Response body bytes sent, as written. */
  bytesOut = 0;
  /** Body bytes received, as read (an upload's size for the link audit). */
  bytesIn = 0;
  private parsedQuery: ParsedQuery | undefined;
  private resolvedAddress: Address | undefined;
  /** req.headers when no header name was sent twice (then it holds each value exactly as sent); undefined otherwise. */
  private readonly singleHeaders: IncomingHttpHeaders | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly contexts: RequestContexts = new RequestContexts(),
  ) {
    this.id = contexts.nextId();
    this.method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.wirePath = q === -1 ? url : url.slice(0, q);
    this.rawQuery = q === -1 ? '' : url.slice(q + 1);
    // Node joins repeated headers with ', ' (or drops repeats of some), where signing joins with ','; only then is the distinct form needed.
    const headers = req.headers;
    let count = 0;
    for (const name in headers) if (Object.hasOwn(headers, name)) count++;
    this.singleHeaders = count * 2 === req.rawHeaders.length ? headers : undefined;
  }

  /** The client's address, through trusted proxies (src/http/client-address.ts). */
  get clientIp(): string {
    return clientAddress(this.req, this.contexts.trustedProxies);
  }

  /**
   * S3's bucket and key, from the Host and the path as they arrived (and the
   * server's --domain): worked out on first read, which is the S3 API's
   * address stage, so its refusals (InvalidURI, KeyTooLongError) are that
   * stage's. A form upload's key is not here: it is in the form
   * (the credentials' `form.key`).
   */
  get address(): Address {
    return (this.resolvedAddress ??= resolveAddress(this.header('host'), this.wirePath, this.contexts.domain));
  }

  get queryPairs(): readonly QueryPair[] {
    return this.parsed().pairs;
  }

  /** First value of each parameter. */
  get query(): ReadonlyMap<string, string> {
    return this.parsed().first;
  }

  private parsed(): ParsedQuery {
    return (this.parsedQuery ??= this.contexts.parseQuery(this.rawQuery, this.method === 'GET' || this.method === 'HEAD'));
  }

  /** Lower-case names; a header sent several times has each value, in arrival order. */
  get headers(): Readonly<Record<string, string[]>> {
    return this.req.headersDistinct as Record<string, string[]>;
  }

  /** A header's value; repeats joined with ',' as HTTP allows. */
  header(name: string): string | undefined {
    if (this.singleHeaders !== undefined) {
      const value = this.singleHeaders[name];
      return value === undefined || typeof value === 'string' ? value : value.join(',');
    }
    return this.headers[name]?.join(',');
  }

  hasHeader(name: string): boolean {
    return (this.singleHeaders ?? this.headers)[name] !== undefined;
  }

  get signable(): SignableRequest {
    return { method: this.method, path: this.wirePath, query: this.rawQuery, queryPairs: this.queryPairs, headers: signedHeaderText(this.singleHeaders ?? this.headers) };
  }
}

/**
 * The headers as the client signed them: a value with bytes beyond ASCII is
 * UTF-8 text (boto3 sends user metadata so), which Node gave us one
 * character per byte. Copied only when some value needs it.
 */
function signedHeaderText(headers: Readonly<Record<string, string | readonly string[] | undefined>>): Readonly<Record<string, string | readonly string[] | undefined>> {
  let copy: Record<string, string | readonly string[] | undefined> | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const nonAscii = typeof value === 'string' ? hasNonAscii(value) : value.some(hasNonAscii);
    if (!nonAscii) continue;
    copy ??= { ...headers };
    copy[name] = typeof value === 'string' ? headerText(value) : value.map(headerText);
  }
  return copy ?? headers;
}
