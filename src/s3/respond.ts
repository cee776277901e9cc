import type { RequestContext } from './context.js';
import { toXml, type XmlNode } from './xml.js';

export function sendXml(ctx: RequestContext, root: string, body: XmlNode, status = 200): void {
  sendXmlText(ctx, toXml(root, body), status);
}

export function sendXmlText(ctx: RequestContext, text: string, status = 200): void {
  sendText(ctx, status, 'application/xml', text);
}

/** A whole small body with its length, counted for the request log. */
export function sendText(ctx: RequestContext, status: number, contentType: string, text: string): void {
  ctx.res.statusCode = status;
  ctx.res.setHeader('content-type', contentType);
  endWithBody(ctx, text);
}

/**
 * Ends the response with a whole body: its Content-Length set and its bytes
 * counted for the request log, whichever API answers (a HEAD's answer has the
 * length but no body, and counts nothing).
 */
export function endWithBody(ctx: RequestContext, body: string | Buffer): void {
  const length = Buffer.byteLength(body);
  ctx.res.setHeader('content-length', length);
  if (ctx.method !== 'HEAD') ctx.bytesOut += length;
  ctx.res.end(body);
}

export function sendEmpty(ctx: RequestContext, status = 200, headers: Record<string, string> = {}): void {
  ctx.res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) ctx.res.setHeader(name, value);
  if (status !== 204 && status !== 304) ctx.res.setHeader('content-length', 0);
  ctx.res.end();
}
