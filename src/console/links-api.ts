import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConsoleError, sendJson } from './http.js';
import type { RouteContext } from './console-server.js';
import type { IssuedLink } from '../storage/console-store.js';
import type { ConsoleSession } from './sessions.js';

export interface LinkView {
  readonly id: string;
  readonly kind: IssuedLink['kind'];
  readonly bucket: string;
  readonly key: string;
  readonly issuer: string;
  readonly accessKeyId: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly maxUses: number | null;
  readonly downloadName: string | null;
  readonly status: 'active' | 'expired' | 'revoked';
  readonly revokedAt: string | null;
  /** From the audit log; null when this server keeps none. */
  readonly usage: { readonly uses: number; readonly lastUsedAt: string | null; readonly lastFrom: string | null } | null;
}

/**
 * The Links page's API: links this console issued (root sees everyone's, a
 * user their own), their use from the audit log, and revocation of one link.
 */
export async function handleLinks(_req: IncomingMessage, res: ServerResponse, c: RouteContext, session: ConsoleSession, method: string, path: string): Promise<void> {
  const issuer = session.principal.kind === 'root' ? undefined : session.principal.name;
  if (path === '/api/links' && method === 'GET') {
    const links = await c.store.listIssuedLinks(issuer);
    // Link use is written in batches off the request path: the page should show the use that just happened.
    await c.deps.links?.flushAudit();
    return sendJson(res, 200, { links: await Promise.all(links.map((link) => view(c, link))), revocation: c.deps.links !== undefined });
  }
  const m = /^\/api\/links\/([A-Za-z0-9_-]{1,64})\/revoke$/.exec(path);
  if (m && method === 'POST') {
    let link = await c.store.getIssuedLink(m[1] ?? '');
    // Someone else's link answers like a missing one: its existence is not theirs to learn.
    if (link === null || (issuer !== undefined && link.issuer !== issuer)) throw new ConsoleError(404, 'NoSuchLink', 'There is no such link.');
    const store = c.deps.links;
    if (store === undefined) throw new ConsoleError(501, 'RevocationUnavailable', 'This server cannot revoke links.');
    const now = new Date(c.now());
    if (link.revokedAt === undefined) {
      await store.store.revoke({ kind: 'link', subject: link.linkId, before: null, expiresAt: new Date(link.expiresAt) });
      link = (await c.store.markIssuedLinkRevoked(link.id, now)) ?? link;
      c.deps.logger.info('console link revoked', { user: session.principal.name, bucket: link.bucket, key: link.key, link: link.id });
    }
    return sendJson(res, 200, { link: await view(c, link) });
  }
  throw new ConsoleError(404, 'NotFound', `No console API at ${method} ${path}.`);
}

async function view(c: RouteContext, link: IssuedLink): Promise<LinkView> {
  const store = c.deps.links;
  let usage: LinkView['usage'] = null;
  if (store !== undefined) {
    const [counted, last] = await Promise.all([store.store.linkUsage(link.linkId), store.store.queryAudit({ link: link.linkId, limit: 1 })]);
    const newest = last.records[last.records.length - 1];
    usage = {
      uses: counted.counted?.uses ?? counted.logged,
      lastUsedAt: counted.lastUsedAt?.toISOString() ?? newest?.at.toISOString() ?? null,
      lastFrom: newest?.clientIp ?? null,
    };
  }
  const status = link.revokedAt !== undefined ? 'revoked' : Date.parse(link.expiresAt) <= c.now() ? 'expired' : 'active';
  return {
    id: link.id,
    kind: link.kind,
    bucket: link.bucket,
    key: link.key,
    issuer: link.issuer,
    accessKeyId: link.accessKeyId,
    createdAt: link.createdAt,
    expiresAt: link.expiresAt,
    maxUses: link.maxUses ?? null,
    downloadName: link.downloadName ?? null,
    status,
    revokedAt: link.revokedAt ?? null,
    usage,
  };
}
