import { createHash } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AdminError } from '../admin/admin-error.js';
import { S3Error } from '../errors.js';
import { sameSecret } from '../identity/same-secret.js';
import { LINK_REFUSED } from '../links/link-guard.js';
import type { RequestContext } from '../s3/context.js';
import type { Outcome } from '../s3/outcome.js';
import { AuthError } from '../sigv4/errors.js';
import type { Logger } from '../logger.js';

export type AuthLabel = 'header' | 'presigned' | 'post' | 'anonymous';

/** Why a request was refused, as `latchkey_auth_refusals_total{reason}` says it (a bounded set). */
export type RefusalReason =
  | 'signature'
  | 'expired'
  | 'not_yet_valid'
  | 'time_skewed'
  | 'revoked'
  | 'use_limit'
  | 'source_ip'
  | 'access_denied'
  | 'invalid_key'
  | 'invalid_token'
  | 'post_policy'
  | 'malformed';

const POST_POLICY_DENIED = 'Invalid according to Policy: ';

/**
 * The one mapping from what a request failed with to a refusal reason;
 * undefined when the failure was not a refusal (NoSuchKey, a body fault, our bug).
 */
export function refusalReason(error: unknown): RefusalReason | undefined {
  if (error instanceof AuthError) {
    switch (error.defect) {
      case 'signature-mismatch':
      case 'chunk-signature-mismatch':
      case 'chunk-trailer-signature-mismatch':
        return 'signature';
      case 'expired':
        return 'expired';
      case 'not-yet-valid':
        return 'not_yet_valid';
      case 'time-skewed':
        return 'time_skewed';
      case 'unknown-access-key':
        return 'invalid_key';
      default:
        // The body's framing and checksums are not about who may do what.
        return error.defect.startsWith('chunk-') ? undefined : 'malformed';
    }
  }
  if (error instanceof S3Error) {
    switch (error.code) {
      case 'AccessDenied':
        if (error.message === LINK_REFUSED.revoked) return 'revoked';
        if (error.message === LINK_REFUSED.useLimit) return 'use_limit';
        if (error.message === LINK_REFUSED.sourceIp) return 'source_ip';
        if (error.message === `${POST_POLICY_DENIED}Policy expired.`) return 'expired';
        if (error.message.startsWith(POST_POLICY_DENIED)) return 'post_policy';
        return 'access_denied';
      case 'InvalidAccessKeyId':
        return 'invalid_key';
      case 'SignatureDoesNotMatch':
        return 'signature';
      case 'InvalidToken':
        return 'invalid_token';
      case 'ExpiredToken':
        return 'expired';
      default:
        return undefined;
    }
  }
  if (error instanceof AdminError && error.code === 'AccessDenied') return 'access_denied';
  return undefined;
}

function authLabel(outcome: Outcome): AuthLabel {
  if (outcome.operation === 'PostObject' && outcome.principal !== undefined) return 'post';
  return outcome.authType;
}

/**
 * Latchkey's Prometheus metrics (prom-client, with its default process and
 * Node.js metrics). Labels take values from small fixed sets only: operation
 * names, status codes, auth kinds, refusal reasons; never a bucket, key,
 * access key or URL.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'latchkey_http_requests_total',
    help: 'Requests answered, by operation, HTTP status and how they were authenticated',
    labelNames: ['operation', 'status', 'auth'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'latchkey_http_request_duration_seconds',
    help: 'Time from a request arriving to its response finishing (or the connection closing), by operation',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly requestBytes = new Counter({
    name: 'latchkey_http_request_bytes_total',
    help: 'Request body bytes received, as read',
    registers: [this.registry],
  });
  private readonly responseBytes = new Counter({
    name: 'latchkey_http_response_bytes_total',
    help: 'Response body bytes sent',
    registers: [this.registry],
  });
  private readonly refusals = new Counter({
    name: 'latchkey_auth_refusals_total',
    help: 'Requests refused by authentication, authorization or link controls, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly linkUses = new Counter({
    name: 'latchkey_link_uses_total',
    help: 'Successful requests made through a pre-signed URL or a POST policy',
    registers: [this.registry],
  });
  private readonly storageFree = new Gauge({
    name: 'latchkey_storage_free_bytes',
    help: "Free bytes on the data dir's filesystem (for unprivileged use), as of the last refresh",
    registers: [this.registry],
  });
  private readonly storageObjects = new Gauge({
    name: 'latchkey_storage_objects',
    help: 'Objects stored, as of the last refresh',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every reason shows as 0 from the start, so rate() and alerts see a series before the first refusal.
    for (const reason of REASONS) this.refusals.inc({ reason }, 0);
  }

  /** Called once per request, when its response is finished or its connection closed. */
  observe(ctx: RequestContext, outcome: Outcome): void {
    const operation = outcome.operation ?? 'unknown';
    const status = ctx.res.headersSent ? ctx.res.statusCode : 0;
    const auth = authLabel(outcome);
    this.requests.inc({ operation, status: String(status), auth });
    this.duration.observe({ operation }, (performance.now() - ctx.startedAt) / 1000);
    if (ctx.bytesIn > 0) this.requestBytes.inc(ctx.bytesIn);
    if (ctx.bytesOut > 0) this.responseBytes.inc(ctx.bytesOut);
    const reason = outcome.failure === undefined ? undefined : refusalReason(outcome.failure);
    if (reason !== undefined) this.refusals.inc({ reason });
    if ((auth === 'presigned' || auth === 'post') && status > 0 && status < 400) this.linkUses.inc();
  }

  setStorage(stats: { freeBytes?: number; objects?: number }): void {
    if (stats.freeBytes !== undefined) this.storageFree.set(stats.freeBytes);
    if (stats.objects !== undefined) this.storageObjects.set(stats.objects);
  }
}

const REASONS: readonly RefusalReason[] = [
  'signature', 'expired', 'not_yet_valid', 'time_skewed', 'revoked', 'use_limit', 'source_ip', 'access_denied', 'invalid_key', 'invalid_token', 'post_policy', 'malformed',
];

/**
 * `GET /metrics` on its own address, so it can stay on a private interface
 * while S3 faces the world. With a token, only `Authorization: Bearer <token>` gets in.
 */
export function metricsHandler(options: { token: string | undefined; metrics: ServerMetrics; logger: Logger }): RequestListener {
  const expected = options.token === undefined ? undefined : digest(`Bearer ${options.token}`);
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method not allowed\n');
      return;
    }
    if (expected !== undefined && !sameSecret(digest(req.headers.authorization ?? ''), expected)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="latchkey-metrics"', 'content-type': 'text/plain' }).end('Unauthorized\n');
      return;
    }
    options.metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': options.metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        options.logger.error('metrics failed', { error: String(error) });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal error\n');
      },
    );
  };
}

/** Equal-length values for the comparison of secrets, whatever was sent: a bearer token has no fixed length to give away. */
function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
