import type { S3Error } from '../errors.js';
import { escapeXml } from './xml.js';

/** What the error renderer needs to know of the request to choose between XML and a page. */
export interface ErrorAudience {
  readonly method: string;
  readonly accept: string | undefined;
}

/**
 * True for a browser navigating to a URL (a link pasted in the address bar):
 * a GET whose Accept names text/html (or XHTML) and ranks it above XML and
 * anything else. SDKs, the CLIs, curl, fetch(), <img> and <video> send no
 * Accept or a wildcard, so they keep S3's XML.
 */
export function wantsHtml(audience: ErrorAudience | undefined): boolean {
  if (audience === undefined || audience.method !== 'GET' || audience.accept === undefined) return false;
  let html = 0;
  let xml: number | undefined;
  let anyXmlRange = 0;
  for (const part of audience.accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const type = range.trim();
    const q = quality(params);
    if (type === 'text/html' || type === 'application/xhtml+xml') html = Math.max(html, q);
    else if (type === 'application/xml' || type === 'text/xml') xml = Math.max(xml ?? 0, q);
    else if (type === '*/*' || type === 'application/*' || type === 'text/*') anyXmlRange = Math.max(anyXmlRange, q);
  }
  // An explicit XML entry is what XML gets; else the widest range that covers it.
  return html > 0 && html > (xml ?? anyXmlRange);
}

function quality(params: readonly string[]): number {
  for (const param of params) {
    const [name, value] = param.split('=');
    if (name?.trim() === 'q') {
      const q = Number(value?.trim());
      return Number.isFinite(q) ? Math.min(1, Math.max(0, q)) : 1;
    }
  }
  return 1;
}

/** What happened, in plain words, for the person holding the link. */
function explain(error: S3Error): { title: string; text: string } {
  const message = error.message;
  if (error.code === 'AccessDenied') {
    if (message === 'Request has expired') {
      const when = error.details['Expires'];
      return { title: 'This link has expired', text: `The link stopped working${when ? ` at ${when.replace('T', ' ').replace('Z', ' UTC')}` : ''}. Ask the person who sent it for a new one.` };
    }
    if (message === 'Request is not yet valid') return { title: 'This link is not valid yet', text: 'The link was signed for a later time. Try again later, or ask for a new link.' };
    if (message === 'Link revoked') return { title: 'This link has been revoked', text: 'The person who shared it has withdrawn it. Ask them for a new link if you still need the file.' };
    if (message === 'Link use limit reached') return { title: 'This link has been used up', text: 'It could be used a limited number of times, and those uses are spent. Ask for a new link.' };
    if (message === 'Link not valid from this address') return { title: 'This link does not work from your network', text: 'It may only be used from certain network addresses, and yours is not one of them.' };
    return { title: 'Access denied', text: 'You are not allowed to open this. If someone sent you this link, the key that signed it may no longer have access.' };
  }
  switch (error.code) {
    case 'SignatureDoesNotMatch':
      return { title: 'This link is damaged', text: 'Part of the link was changed or cut off, so its signature no longer matches. Copy the whole link again, or ask for a new one.' };
    case 'AuthorizationQueryParametersError':
    case 'InvalidArgument':
      return { title: 'This link is incomplete', text: 'The link is missing parts or has malformed ones. Copy the whole link again, or ask for a new one.' };
    case 'InvalidAccessKeyId':
      return { title: 'This link no longer works', text: 'The key that signed it has been removed. Ask the person who sent it for a new link.' };
    case 'NoSuchKey':
      return { title: 'File not found', text: 'There is no file at this address (any more).' };
    case 'NoSuchBucket':
      return { title: 'Not found', text: 'The bucket this link points to does not exist (any more).' };
    default:
      return { title: 'This request was refused', text: message };
  }
}

export const ERROR_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  vary: 'Accept',
};

/**
 * A small self-contained page (no script, no outside resource) with the status, S3's code and the request id.
 * Escaped by the one XML escaper: its references (&apos; too) are HTML5's as well.
 */
export function errorPage(error: S3Error, requestId: string): string {
  const { title, text } = explain(error);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;color:#1b1f24;background:#f6f8fa;margin:0;padding:1rem}main{max-width:36rem;margin:3rem auto;background:#fff;border:1px solid #d0d7de;border-radius:10px;padding:1.5rem}h1{font-size:1.4rem;margin:0 0 .75rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:1.25rem 0 0;color:#57606a;font-size:.9rem}dd{margin:0;font-family:ui-monospace,monospace;overflow-wrap:anywhere}</style>
</head><body><main>
<h1>${escapeXml(title)}</h1>
<p>${escapeXml(text)}</p>
<dl><dt>Status</dt><dd>${error.status}</dd><dt>Error code</dt><dd>${escapeXml(error.code)}</dd><dt>Request id</dt><dd>${escapeXml(requestId)}</dd></dl>
</main></body></html>
`;
}
