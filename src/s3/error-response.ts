import type { ServerResponse } from 'node:http';
import { S3Error } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RequestContext } from './context.js';
import { isCorsResponseHeader } from './cors.js';
import { asS3Error, isRefusal } from './library-errors.js';
import { ERROR_PAGE_HEADERS, errorPage, wantsHtml, type ErrorAudience } from './error-page.js';
import { resourceOf, type Outcome } from './outcome.js';
import { escapeXml, XML_DECLARATION } from './xml.js';

/**
 * The single place where failures become HTTP responses: S3's XML, or for a
 * browser navigating to a refused link, a readable page with the same status.
 */
export function renderError(error: S3Error, resource: string, requestId: string, audience?: ErrorAudience): { status: number; headers: Record<string, string>; body: string } {
  if (wantsHtml(audience)) return { status: error.status, headers: { ...ERROR_PAGE_HEADERS, ...error.headers }, body: errorPage(error, requestId) };
  let details = '';
  for (const [name, value] of Object.entries(error.details)) details += `<${name}>${escapeXml(value)}</${name}>`;
  const body =
    `${XML_DECLARATION}<Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message>` +
    `${details}<Resource>${escapeXml(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`;
  // A 304 has no body, so nothing to type.
  const headers = error.status === 304 ? { ...error.headers } : { 'content-type': 'application/xml', ...error.headers };
  return { status: error.status, headers, body };
}

/**
 * Anything that is not an S3Error (or a library's refusal, mapped) is our bug (InternalError, logged by the
 * caller), except a full filesystem, which is the operator's to fix and the
 * client's to know about: a write that ran into it before the free-space
 * check could see it (another process filled the disk) left nothing behind.
 */
export function toS3Error(error: unknown): S3Error {
  const refusal = asS3Error(error);
  if (refusal !== undefined) return refusal;
  return isOutOfSpace(error) ? new S3Error('InsufficientStorage') : new S3Error('InternalError');
}

export function isOutOfSpace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}

/** What every API's errors carry: an HTTP status, a stable code and a message (S3Error, AdminError, STS's). */
export interface ApiError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** The JSON error body of the admin API and the console: {"error": {"code", "message"}}. */
export function jsonErrorBody({ code, message }: Pick<ApiError, 'code' | 'message'>): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

export interface RenderedError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Undefined for a response that has none (HEAD, 304). */
  readonly body: string | undefined;
}

/**
 * How one API (S3, STS, admin, the console) answers a failure: which errors are
 * its own, and their rendering from what that API knows of the request (its
 * Scene: the pipeline's context and outcome, or nothing for the console).
 */
export interface ErrorFlavour<Scene extends unknown[] = [ctx: RequestContext, outcome: Outcome]> {
  /** Errors this API answers as they are; anything else is our bug, logged and answered as an internal error. */
  isOwn(error: unknown): boolean;
  render(error: unknown, ...scene: Scene): RenderedError;
}

/** S3's XML (or a readable page for a browser), from the one table of S3 error codes. */
export const S3_ERRORS: ErrorFlavour = {
  isOwn: isRefusal,
  render(error, ctx, outcome) {
    const rendered = renderError(toS3Error(error), resourceOf(outcome), ctx.id, { method: ctx.method, accept: ctx.header('accept') });
    return { ...rendered, body: ctx.method === 'HEAD' || rendered.status === 304 ? undefined : rendered.body };
  },
};

/** What the server around an API adds to its failures: where our bugs are logged, and what to do with a body left unread. */
export interface FailureHandling {
  readonly logger: Logger;
  /** Logged with an internal error (the request id, the API). */
  readonly logFields: Readonly<Record<string, unknown>>;
  /**
   * Close the connection when the request body was not read whole: an upload
   * (up to gigabytes) would otherwise be drained byte by byte before the next
   * request. The console's bodies are 16 KiB at most, and Node drains them.
   */
  readonly closeUnreadBody: boolean;
}

/**
 * The single place where a failure becomes an HTTP response, whichever API
 * it came to; only the rendering is the API's own (its ErrorFlavour).
 * Returns the body bytes sent, for the request log.
 */
export function answerFailure<Scene extends unknown[]>(
  res: ServerResponse,
  error: unknown,
  flavour: ErrorFlavour<Scene>,
  scene: Scene,
  how: FailureHandling,
): number {
  const { logger, logFields } = how;
  if (res.headersSent) {
    // Mid-body failure (often the client leaving): the status is gone, so the only honest signal is a cut connection.
    res.destroy();
    return 0;
  }
  if (!flavour.isOwn(error)) {
    logger.error('internal error', { ...logFields, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
  const rendered = flavour.render(error, ...scene);
  for (const name of res.getHeaderNames()) if (name !== 'x-amz-request-id' && name !== 'server' && !isCorsResponseHeader(name)) res.removeHeader(name);
  res.statusCode = rendered.status;
  for (const [name, value] of Object.entries(rendered.headers)) res.setHeader(name, value);
  const req = res.req;
  if (how.closeUnreadBody && !req.complete && req.headers['content-length'] !== '0') res.setHeader('connection', 'close');
  if (rendered.body === undefined) {
    res.end();
    return 0;
  }
  const length = Buffer.byteLength(rendered.body);
  res.setHeader('content-length', length);
  res.end(rendered.body);
  return req.method === 'HEAD' ? 0 : length;
}

/** A failure of a request in the pipeline (S3, POST uploads, STS, admin), counted in its request log. */
export function sendFailure(ctx: RequestContext, outcome: Outcome, error: unknown, logger: Logger, flavour: ErrorFlavour): void {
  ctx.bytesOut += answerFailure(ctx.res, error, flavour, [ctx, outcome], { logger, logFields: { requestId: ctx.id }, closeUnreadBody: true });
}
