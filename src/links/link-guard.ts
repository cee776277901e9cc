import type { ServerResponse } from 'node:http';
import { S3Error } from '../errors.js';
import { cidrContains, parseIp } from '../iam/ip-address.js';
import type { QueryPair } from '../sigv4/canonical-query.js';
import type { VerifiedAuth } from '../sigv4/verify.js';
import type { LinkStore } from '../storage/link-store.js';
import type { AuditLog } from './audit-log.js';
import { linkOfRequest, signingTimeBound } from './link-identity.js';
import type { LinkMemo } from './link-memo.js';
import { hasControls, parseLinkControls } from './link-params.js';

/** What a request admitted through a link still has to do before its operation runs. */
export interface LinkAdmission {
  /** Takes one use of a link limited by X-Latchkey-Max-Uses (AccessDenied when none is left). */
  reserveUse(): Promise<void>;
}

export interface LinkGuardDeps {
  readonly store: LinkStore;
  readonly audit: AuditLog;
  readonly now: () => number;
  readonly warn: (message: string, error: unknown) => void;
  /** Responses of admitted link requests not yet closed (their audit records are still to come). */
  readonly open: Set<ServerResponse>;
  /** Link ids and controls of links used again; without it, each request works them out afresh. */
  readonly memo?: LinkMemo;
}

/** The messages of link refusals (AccessDenied), which metrics tell apart. */
export const LINK_REFUSED = {
  revoked: 'Link revoked',
  sourceIp: 'Link not valid from this address',
  useLimit: 'Link use limit reached',
} as const;

/**
 * What the guard reads of a request as it arrived (the S3 front's
 * RequestContext is one): the link in its query, the client, and its
 * response, whose close is when the use is counted and the audit record made.
 */
export interface LinkRequest {
  readonly method: string;
  readonly clientIp: string;
  /** The query as sent; first value of each parameter, and every pair in order. */
  readonly rawQuery: string;
  readonly query: ReadonlyMap<string, string>;
  readonly queryPairs: readonly QueryPair[];
  readonly res: ServerResponse;
  /** Read when the response closes: body bytes received and sent by then. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  header(name: string): string | undefined;
}

/** What the earlier stages found: the S3 operation's name and its address (a form upload's key once its form was read). */
export interface LinkTarget {
  readonly operation: string | undefined;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
}

/** The verified signature and who made it (undefined for anonymous requests). */
export interface SignedBy {
  readonly verified: VerifiedAuth;
  readonly principal?: { readonly name: string } | undefined;
}

const NO_CONTROLS: LinkAdmission = { reserveUse: () => Promise.resolve() };
const MAX_USER_AGENT = 512;

/**
 * Link controls for a request whose query signature has been verified (so a
 * changed X-Latchkey-* parameter was already a signature failure): revocation,
 * source address, then, once the request is authorized, the use counter.
 * Header-signed and anonymous requests pass untouched. Every request a
 * verified link makes is audited, whatever its outcome.
 */
export async function admitLink(ctx: LinkRequest, auth: SignedBy, target: LinkTarget, deps: LinkGuardDeps): Promise<LinkAdmission> {
  const link = linkOfRequest(auth.verified, ctx.query, deps.memo?.v4Id);
  const principal = auth.principal;
  if (link === undefined || principal === undefined) return NO_CONTROLS;
  const ip = ctx.clientIp;
  let reserved = false;
  let closed = false;
  // A use counts once the answer is a success and has begun (a 304 included: it tells the holder the object is unchanged);
  // a failure, or a client gone before any answer, gives the use back.
  const counts = () => ctx.res.headersSent && ctx.res.statusCode < 400;
  deps.open.add(ctx.res);
  ctx.res.once('close', () => {
    closed = true;
    deps.open.delete(ctx.res);
    if (reserved && !counts()) deps.store.refundUse(link.id).catch((error: unknown) => deps.warn('could not refund a link use', error));
    deps.audit.record({
      at: new Date(deps.now()),
      link: link.id,
      accessKeyId: link.accessKeyId,
      userName: principal.name,
      method: ctx.method,
      bucket: target.bucket ?? null,
      key: target.key ?? null,
      status: ctx.res.headersSent ? ctx.res.statusCode : 0,
      // An upload's size, else what was sent.
      bytes: ctx.bytesIn > 0 ? ctx.bytesIn : ctx.bytesOut,
      clientIp: ip,
      userAgent: ctx.header('user-agent')?.slice(0, MAX_USER_AGENT) ?? null,
    });
  });

  const controls = deps.memo?.controlsOf(ctx) ?? parseLinkControls(ctx.queryPairs);
  if (link.version === 2 && hasControls(controls)) {
    // SigV2 signs only a few sub-resources, so these parameters would not be protected by the signature.
    throw new S3Error('InvalidArgument', 'X-Latchkey-* link controls need a SigV4 pre-signed URL: SigV2 does not sign them', {
      ArgumentName: 'Signature',
      ArgumentValue: 'SigV2',
    });
  }
  if (target.operation === 'PostObject' && hasControls(controls)) {
    // A POST policy signs its form, not the URL it is posted to.
    throw new S3Error('InvalidArgument', 'X-Latchkey-* link controls need a SigV4 pre-signed URL: a POST policy does not sign the URL', {
      ArgumentName: 'policy',
      ArgumentValue: 'POST',
    });
  }
  const revoked = await deps.store.revokedBy({
    link: link.id, accessKeyId: link.accessKeyId, bucket: target.bucket, signedAt: signingTimeBound(link), now: new Date(deps.now()),
  });
  if (revoked !== null) throw new S3Error('AccessDenied', LINK_REFUSED.revoked);
  if (controls.sourceIp !== undefined) {
    const client = parseIp(ip);
    if (client === undefined || !cidrContains(controls.sourceIp.block, client)) throw new S3Error('AccessDenied', LINK_REFUSED.sourceIp);
  }
  const maxUses = controls.maxUses;
  if (maxUses === undefined) return NO_CONTROLS;
  return {
    async reserveUse() {
      if (!(await deps.store.reserveUse(link.id, maxUses, new Date(link.expiresAt)))) throw new S3Error('AccessDenied', LINK_REFUSED.useLimit);
      reserved = true;
      // The client left while the reservation was being made: nothing will be served.
      if (closed && !counts()) await deps.store.refundUse(link.id);
    },
  };
}
