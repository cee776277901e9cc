import { S3Error } from '../errors.js';
import type { IdentityStore } from '../storage/identity-store.js';
import type { BucketMetadata } from '../storage/metadata-store.js';
import type { Address } from './addressing.js';
import type { RequestContext } from './context.js';
import { deserializeCorsRules, type CorsRule } from './cors-config.js';
import { sendEmpty } from './respond.js';

/** Where the handler finds a bucket's CORS rules: null when the bucket has none (or does not exist). */
export interface CorsSource {
  rules(bucket: string): Promise<readonly CorsRule[] | null>;
  bucketExists(bucket: string): Promise<boolean>;
}

export function storedCorsSource(metadata: BucketMetadata, identities: IdentityStore): CorsSource {
  return {
    async rules(bucket) {
      const text = await identities.getBucketCors(bucket);
      return text === null ? null : deserializeCorsRules(text);
    },
    async bucketExists(bucket) {
      return (await metadata.getBucket(bucket)) !== null;
    },
  };
}

// A response that depends on these request headers must say so, or a shared cache hands one origin's answer to another.
const VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';
// S3's wording, its misspelling of "evaluation" included: clients and people search for it.
const NOT_ALLOWED =
  "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";
const NOT_ENABLED = 'CORSResponse: CORS is not enabled for this bucket.';

/** S3 allows at most one `*` in a pattern, standing for any run of characters. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star === -1) return pattern === value;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  return value.length >= prefix.length + suffix.length && value.startsWith(prefix) && value.endsWith(suffix);
}

function originAllowed(rule: CorsRule, origin: string): boolean {
  return rule.allowedOrigins.some((pattern) => wildcardMatch(pattern, origin));
}

// Header names are case-insensitive, so both sides are compared lower-cased.
function headerAllowed(rule: CorsRule, header: string): boolean {
  return rule.allowedHeaders.some((pattern) => wildcardMatch(pattern.toLowerCase(), header));
}

/** The comma-separated Access-Control-Request-Headers as lower-case names. */
export function requestedHeaders(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
}

/** The first rule (S3 evaluates them in order) that allows this preflight. */
export function matchPreflight(rules: readonly CorsRule[], origin: string, method: string, headers: readonly string[]): CorsRule | undefined {
  return rules.find(
    (rule) =>
      originAllowed(rule, origin) &&
      (rule.allowedMethods as readonly string[]).includes(method) &&
      headers.every((h) => headerAllowed(rule, h)),
  );
}

/** The first rule that covers an actual (non-preflight) request. */
export function matchActual(rules: readonly CorsRule[], origin: string, method: string): CorsRule | undefined {
  return rules.find((rule) => originAllowed(rule, origin) && (rule.allowedMethods as readonly string[]).includes(method));
}

/**
 * The Access-Control-* headers for a matched rule. A rule open to every
 * origin answers `*` and never allows credentials (browsers refuse that
 * combination); a rule naming origins echoes the caller's and allows them.
 */
export function corsHeaders(rule: CorsRule, origin: string): Record<string, string> {
  const headers: Record<string, string> = { vary: VARY };
  if (rule.allowedOrigins.includes('*')) {
    headers['access-control-allow-origin'] = '*';
  } else {
    headers['access-control-allow-origin'] = origin;
    headers['access-control-allow-credentials'] = 'true';
  }
  headers['access-control-allow-methods'] = rule.allowedMethods.join(', ');
  if (rule.exposeHeaders.length > 0) headers['access-control-expose-headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) headers['access-control-max-age'] = String(rule.maxAgeSeconds);
  return headers;
}

function corsError(address: Address, message: string, method: string): S3Error {
  return new S3Error('AccessForbidden', message, { Method: method, ResourceType: address.key === undefined ? 'BUCKET' : 'OBJECT' });
}

/**
 * OPTIONS: a browser asking before the real request. It carries no
 * credentials, so it is answered from the bucket's rules alone.
 */
export async function answerPreflight(ctx: RequestContext, address: Address, source: CorsSource): Promise<void> {
  const { bucket } = address;
  const origin = ctx.header('origin');
  if (origin === undefined) throw new S3Error('BadRequest', 'Insufficient information. Origin request header needed.');
  const method = ctx.header('access-control-request-method');
  if (method === undefined) throw new S3Error('BadRequest', 'Insufficient information. Access-Control-Request-Method request header needed.');
  const rules = bucket === undefined ? null : await source.rules(bucket);
  if (rules === null) {
    if (bucket !== undefined && !(await source.bucketExists(bucket))) throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
    throw corsError(address, NOT_ENABLED, method);
  }
  const headers = requestedHeaders(ctx.header('access-control-request-headers'));
  const rule = matchPreflight(rules, origin, method, headers);
  if (rule === undefined) throw corsError(address, NOT_ALLOWED, method);
  const response = corsHeaders(rule, origin);
  if (headers.length > 0) response['access-control-allow-headers'] = headers.join(', ');
  sendEmpty(ctx, 200, response);
}

/**
 * A cross-origin actual request: the CORS headers go on before anything can
 * fail, so the browser lets the page read error responses (a 403's XML) too.
 */
export async function addCorsHeaders(ctx: RequestContext, bucket: string | undefined, source: CorsSource): Promise<void> {
  const origin = ctx.header('origin');
  if (origin === undefined || bucket === undefined) return;
  const rules = await source.rules(bucket);
  if (rules === null) return;
  const rule = matchActual(rules, origin, ctx.method);
  if (rule === undefined) return;
  for (const [name, value] of Object.entries(corsHeaders(rule, origin))) ctx.res.setHeader(name, value);
}

/** Headers an error response keeps from before the failure: the CORS ones, so the page can read the error. */
export function isCorsResponseHeader(name: string): boolean {
  return name.startsWith('access-control-') || name === 'vary';
}
