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

/**
 * An absolute http(s) URL gets the object's identity added to its query; anything else is ignored, as S3
 * does. It is sent in the URL parser's form (what a browser would request): the text as sent may hold
 * characters no header can carry (a line break, non-Latin-1 letters) that the parser encodes or drops.
 */
function redirectTarget(text: string | undefined, stored: StoredUpload, etag: string): string | undefined {
  if (text === undefined || !URL.canParse(text)) return undefined;
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const added = `bucket=${uriEncode(stored.bucket)}&key=${uriEncode(stored.key)}&etag=${uriEncode(etag)}`;
  // `search` is '' or '?…' (setting it takes either), and stays before the fragment.
  url.search = url.search === '' || url.search.endsWith('&') ? `${url.search}${added}` : `${url.search}&${added}`;
  return url.href;
}
