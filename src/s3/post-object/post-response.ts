import { uriEncode } from '../../sigv4/uri-encode.js';
import type { RequestContext } from '../context.js';
import { sendEmpty, sendXmlText } from '../respond.js';
import { escapeXml, XML_DECLARATION } from '../xml.js';

export interface StoredUpload {
  readonly bucket: string;
  readonly key: string;
  /** Hex MD5, unquoted. */
  readonly etag: string;
  readonly virtualHosted: boolean;
}

/**
 * S3's answers to a successful form upload: a 303 to success_action_redirect
 * (with bucket, key and etag added to its query), else success_action_status
 * 200, 201 (a PostResponse document) or, by default and for any other value, 204.
 */
export function answerUpload(ctx: RequestContext, fields: ReadonlyMap<string, string>, stored: StoredUpload): void {
  const etag = `"${stored.etag}"`;
  const location = objectLocation(ctx, stored);
  const redirect = redirectTarget(fields.get('success_action_redirect') ?? fields.get('redirect'), stored, etag);
  if (redirect !== undefined) {
    sendEmpty(ctx, 303, { location: redirect, etag });
    return;
  }
  const status = fields.get('success_action_status');
  if (status === '201') {
    ctx.res.setHeader('etag', etag);
    ctx.res.setHeader('location', location);
    const body =
      `${XML_DECLARATION}<PostResponse><Location>${escapeXml(location)}</Location><Bucket>${escapeXml(stored.bucket)}</Bucket>` +
      `<Key>${escapeXml(stored.key)}</Key><ETag>${escapeXml(etag)}</ETag></PostResponse>`;
    sendXmlText(ctx, body, 201);
    return;
  }
  sendEmpty(ctx, status === '200' ? 200 : 204, { etag, location });
}

/** The URL of the new object as the client addressed the server. */
function objectLocation(ctx: RequestContext, stored: StoredUpload): string {
  const scheme = 'encrypted' in ctx.req.socket ? 'https' : 'http';
  const host = ctx.header('host') ?? 'localhost';
  const path = stored.virtualHosted ? `/${uriEncode(stored.key, true)}` : `/${uriEncode(stored.bucket)}/${uriEncode(stored.key, true)}`;
  return `${scheme}://${host}${path}`;
}

/** An absolute http(s) URL gets the object's identity appended; anything else is ignored, as S3 does. */
function redirectTarget(text: string | undefined, stored: StoredUpload, etag: string): string | undefined {
  if (text === undefined || text === '') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const added = `bucket=${uriEncode(stored.bucket)}&key=${uriEncode(stored.key)}&etag=${uriEncode(etag)}`;
  const [beforeHash = '', hash] = text.split('#', 2);
  const joined = `${beforeHash}${beforeHash.includes('?') ? (beforeHash.endsWith('?') || beforeHash.endsWith('&') ? '' : '&') : '?'}${added}`;
  return hash === undefined ? joined : `${joined}#${hash}`;
}
