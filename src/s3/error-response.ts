import { S3Error } from '../errors.js';
import { asS3Error } from './library-errors.js';
import { ERROR_PAGE_HEADERS, errorPage, wantsHtml, type ErrorAudience } from './error-page.js';
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
