import { bucketArn } from '../iam/arn.js';
import { parseInstant, INSTANT_HINT } from '../links/instant.js';
import { LinkUrlError, type ParsedLink } from '../links/link-identity.js';
import type { LinkReport, LinkService } from '../links/link-service.js';
import type { LinkAuditRecord } from '../storage/link-store.js';
import { AdminError } from './admin-error.js';
import type { AdminDeps, AdminEndpoint, AdminRequest } from './endpoint-types.js';

const ANY = () => '*';
const MAX_URL = 16 * 1024;
const DEFAULT_LOG_LIMIT = 1000;
const MAX_LOG_LIMIT = 10_000;

function links(deps: AdminDeps): LinkService {
  if (deps.links === undefined) throw new AdminError('NotFound', 'Link controls are not enabled on this server.');
  return deps.links;
}

function field(req: AdminRequest, name: string): unknown {
  const body = req.body;
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

/** `url` (a pre-signed URL) or `form` (a POST policy's form fields, which name their link by its signature). */
function linkOf(req: AdminRequest): string | Readonly<Record<string, unknown>> {
  const form = field(req, 'form');
  if (form !== undefined) {
    if (typeof form !== 'object' || form === null || Array.isArray(form) || JSON.stringify(form).length > MAX_URL) {
      throw new AdminError('InvalidInput', 'form must be the form fields of a POST policy');
    }
    return form as Record<string, unknown>;
  }
  const url = field(req, 'url');
  if (typeof url !== 'string' || url === '' || url.length > MAX_URL) throw new AdminError('InvalidInput', 'url must be a pre-signed URL');
  return url;
}

function beforeOf(req: AdminRequest): Date {
  const before = field(req, 'before');
  const when = typeof before === 'string' ? parseInstant(before, Date.now) : undefined;
  if (when === undefined) throw new AdminError('InvalidInput', `before must be ${INSTANT_HINT}`);
  return when;
}

async function parsing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof LinkUrlError) throw new AdminError('InvalidInput', error.message);
    throw error;
  }
}

/** The user an access key belongs to (root and session keys included); undefined when unknown. */
async function signerOf(deps: AdminDeps, accessKeyId: string): Promise<string | undefined> {
  const key = await deps.store.getAccessKey(accessKeyId);
  if (key !== null) return key.userName;
  return (await deps.identities.resolveKey(accessKeyId))?.principal.name;
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

function linkBase(parsed: ParsedLink) {
  return {
    id: parsed.link.id,
    signatureVersion: parsed.link.version,
    accessKeyId: parsed.link.accessKeyId,
    bucket: parsed.bucket ?? null,
    key: parsed.key ?? null,
    signedAt: iso(parsed.link.signedAt),
    expiresAt: iso(parsed.link.expiresAt),
  };
}

function reportView(report: LinkReport, signer: string | undefined, now: number) {
  return {
    ...linkBase(report),
    signer: signer ?? null,
    expired: now > report.link.expiresAt,
    maxUses: report.controls.maxUses ?? null,
    sourceIp: report.controls.sourceIp?.text ?? null,
    uses: report.usage.counted?.uses ?? report.usage.logged,
    lastUsedAt: report.usage.lastUsedAt?.toISOString() ?? null,
    revoked: report.revokedBy !== null,
    revokedBy: report.revokedBy,
  };
}

function entryView(r: LinkAuditRecord) {
  return {
    time: r.at.toISOString(), link: r.link, accessKeyId: r.accessKeyId, user: r.userName, method: r.method, bucket: r.bucket, key: r.key,
    status: r.status, bytes: r.bytes, clientIp: r.clientIp, userAgent: r.userAgent,
  };
}

function logQuery(req: AdminRequest) {
  const text = (name: string): string | undefined => {
    const value = req.query.get(name);
    return value === undefined || value === '' ? undefined : value;
  };
  const sinceText = text('since');
  const since = sinceText === undefined ? undefined : parseInstant(sinceText, Date.now);
  if (sinceText !== undefined && since === undefined) throw new AdminError('InvalidInput', `since must be ${INSTANT_HINT}`);
  const limitText = text('limit');
  const limit = limitText === undefined ? DEFAULT_LOG_LIMIT : /^\d{1,5}$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= MAX_LOG_LIMIT)) throw new AdminError('InvalidInput', `limit must be a whole number from 1 to ${MAX_LOG_LIMIT}`);
  const optional = (name: string) => {
    const value = text(name);
    return value === undefined ? {} : { [name]: value };
  };
  return { ...optional('bucket'), ...optional('key'), ...optional('signer'), ...optional('link'), ...(since === undefined ? {} : { since }), limit };
}

/** Link revocation, inspection and audit endpoints (docs/admin-api.md, "Pre-signed links"). */
export const LINK_ENDPOINTS: readonly AdminEndpoint[] = [
  {
    method: 'POST', path: '/links/revoke', action: 'latchkey:RevokeLinks', resource: ANY,
    run: (req, deps) =>
      parsing(async () => {
        const parsed = await links(deps).revokeLink(linkOf(req));
        return { status: 200, body: { link: { ...linkBase(parsed), revoked: true } } };
      }),
  },
  {
    method: 'POST', path: '/links/show', action: 'latchkey:ReadLinkLog', resource: ANY,
    run: (req, deps) =>
      parsing(async () => {
        const report = await links(deps).report(linkOf(req));
        return { status: 200, body: { link: reportView(report, await signerOf(deps, report.link.accessKeyId), Date.now()) } };
      }),
  },
  {
    method: 'GET', path: '/links/log', action: 'latchkey:ReadLinkLog', resource: ANY,
    run: async (req, deps) => {
      const { records, truncated } = await links(deps).log(logQuery(req));
      return { status: 200, body: { entries: records.map(entryView), truncated } };
    },
  },
  {
    method: 'POST', path: '/access-keys/{id}/revoke-links', action: 'latchkey:RevokeLinks', resource: ANY,
    run: async (req, deps) => {
      const id = req.params['id'] ?? '';
      const before = beforeOf(req);
      if ((await signerOf(deps, id)) === undefined) throw new AdminError('NoSuchEntity', `The Access Key with id ${id} cannot be found.`);
      const { expiresAt } = await links(deps).revokeSignedBefore('signer', id, before);
      return { status: 200, body: { revocation: { accessKeyId: id, before: before.toISOString(), expiresAt: expiresAt.toISOString() } } };
    },
  },
  {
    method: 'POST', path: '/buckets/{bucket}/revoke-links', action: 'latchkey:RevokeLinks', resource: (p) => bucketArn(p['bucket'] ?? ''),
    run: async (req, deps) => {
      const bucket = req.params['bucket'] ?? '';
      const before = beforeOf(req);
      if (!(await links(deps).bucketExists(bucket))) throw new AdminError('NoSuchEntity', `The bucket ${bucket} does not exist.`);
      const { expiresAt } = await links(deps).revokeSignedBefore('bucket', bucket, before);
      return { status: 200, body: { revocation: { bucket, before: before.toISOString(), expiresAt: expiresAt.toISOString() } } };
    },
  },
];
