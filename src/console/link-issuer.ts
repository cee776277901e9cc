import { randomBytes } from 'node:crypto';
import { linkId } from '../links/link-identity.js';
import type { Identities } from '../identity/identities.js';
import { presignPost } from '../presign/post.js';
import { uploadPageUrl } from '../presign/upload-page.js';
import { presignUrl, PresignInputError } from '../presign/url.js';
import type { Credentials } from '../sigv4/types.js';
import { ConsoleError } from './http.js';
import type { ConsoleStore, IssuedLink } from '../storage/console-store.js';
import type { ConsoleSession } from './sessions.js';

/** Console links last at most this long (the brief's cap, shorter than S3's 7 days). */
export const MAX_CONSOLE_LINK_SECONDS = 12 * 3600;

export interface LinkIssuerDeps {
  readonly identities: Identities;
  readonly rootAccessKeyId: string;
  /** Links name this origin: --public-url when set, else the S3 listener. */
  readonly publicEndpoint: string;
  readonly region: string;
  /** Where issued links are recorded (the metadata database, shared by every node). */
  readonly store: ConsoleStore;
  readonly now: () => number;
}

export interface ShareRequest {
  readonly bucket: string;
  readonly key: string;
  readonly expiresIn: number;
  readonly oneTime: boolean;
  readonly downloadName?: string | undefined;
}

export interface UploadLinkRequest {
  readonly bucket: string;
  /** A fixed key (pre-signed PUT) or, with `prefix`, any key under it (POST form). */
  readonly key: string;
  readonly prefix: boolean;
  readonly expiresIn: number;
  readonly contentType?: string | undefined;
  readonly maxSize?: number | undefined;
}

export interface IssuedAnswer {
  readonly id: string;
  readonly url: string;
  readonly expiresAt: string;
  /** POST forms: the fields to send before the file. */
  readonly fields?: Readonly<Record<string, string>>;
  /** PUT links: headers the uploader must send exactly. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Upload links: the recipient's page on the public endpoint, the signed form in its fragment. */
  readonly page?: string;
}

/**
 * Signs console links with the signed-in person's own long-term key, read and
 * unsealed here on the server (never sent to the browser). A link is then
 * exactly as powerful as that person, checked on every use, and it outlives
 * the console session that made it, until it expires or is revoked.
 */
export class LinkIssuer {
  constructor(private readonly deps: LinkIssuerDeps) {}

  async share(session: ConsoleSession, request: ShareRequest): Promise<IssuedAnswer> {
    checkExpiry(request.expiresIn);
    const credentials = await this.longTermCredentials(session);
    const signed = presignUrl({
      endpoint: this.deps.publicEndpoint,
      bucket: request.bucket,
      key: request.key,
      expiresIn: request.expiresIn,
      credentials,
      region: this.deps.region,
      now: this.deps.now(),
      ...(request.oneTime ? { maxUses: 1 } : {}),
      ...(request.downloadName ? { responseContentDisposition: attachment(request.downloadName) } : {}),
    });
    const link = await this.record(session, credentials, signed.url, signed.expiresAt, {
      kind: 'download',
      bucket: request.bucket,
      key: request.key,
      ...(request.oneTime ? { maxUses: 1 } : {}),
      ...(request.downloadName ? { downloadName: request.downloadName } : {}),
    });
    return { id: link.id, url: signed.url, expiresAt: link.expiresAt };
  }

  async uploadLink(session: ConsoleSession, request: UploadLinkRequest): Promise<IssuedAnswer> {
    checkExpiry(request.expiresIn);
    const credentials = await this.longTermCredentials(session);
    const common = { kind: request.prefix ? ('upload-prefix' as const) : ('upload-object' as const), bucket: request.bucket, key: request.key };
    const extras = { ...(request.contentType ? { contentType: request.contentType } : {}), ...(request.maxSize ? { maxSize: request.maxSize } : {}) };
    if (!request.prefix) {
      if (request.maxSize !== undefined) {
        throw new ConsoleError(400, 'InvalidInput', 'A size limit needs an upload form (a key prefix): a pre-signed PUT cannot bound the size it receives.');
      }
      const signed = presignUrl({
        endpoint: this.deps.publicEndpoint, bucket: request.bucket, key: request.key, method: 'PUT', expiresIn: request.expiresIn,
        credentials, region: this.deps.region, now: this.deps.now(), ...(request.contentType ? { contentType: request.contentType } : {}),
      });
      const link = await this.record(session, credentials, signed.url, signed.expiresAt, { ...common, ...extras });
      return { id: link.id, url: signed.url, expiresAt: link.expiresAt, headers: signed.headers, page: uploadPageUrl(this.deps.publicEndpoint, { put: signed.url, headers: signed.headers }) };
    }
    let post;
    try {
      post = presignPost({
        endpoint: this.deps.publicEndpoint, bucket: request.bucket, keyPrefix: request.key, expiresIn: request.expiresIn, credentials,
        region: this.deps.region, now: this.deps.now(), successActionStatus: 201,
        ...(request.contentType ? { contentType: request.contentType } : {}),
        ...(request.maxSize ? { contentLengthRange: [0, request.maxSize] as const } : {}),
      });
    } catch (error) {
      if (error instanceof PresignInputError) throw new ConsoleError(400, 'InvalidInput', error.message);
      throw error;
    }
    const link = await this.record(session, credentials, undefined, post.expiresAt, { ...common, ...extras }, post.fields['x-amz-signature']);
    return { id: link.id, url: post.url, expiresAt: link.expiresAt, fields: post.fields, page: uploadPageUrl(this.deps.publicEndpoint, { post: post.url, fields: post.fields }) };
  }

  /**
   * The key the person signed in with when it is still theirs and active,
   * else their newest active key. Root signs with the root key.
   */
  private async longTermCredentials(session: ConsoleSession): Promise<Credentials> {
    const principal = session.principal;
    const store = this.deps.identities.store;
    let candidates: string[];
    if (principal.kind === 'root') {
      candidates = [this.deps.rootAccessKeyId];
    } else {
      const keys = (await store.listAccessKeys(principal.name)).filter((k) => k.status === 'active');
      keys.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      candidates = keys.map((k) => k.accessKeyId);
      const own = candidates.indexOf(session.signInKeyId);
      if (own > 0) candidates.unshift(...candidates.splice(own, 1));
    }
    for (const accessKeyId of candidates) {
      const resolved = await this.deps.identities.resolveKey(accessKeyId);
      if (resolved !== undefined && resolved.principal.name === principal.name && resolved.tokenHash === undefined) {
        return { accessKeyId, secretAccessKey: resolved.secretAccessKey };
      }
    }
    throw new ConsoleError(409, 'NoActiveKey', 'You have no active access key to sign links with. Ask an administrator to enable or create one.');
  }

  private async record(
    session: ConsoleSession,
    credentials: Credentials,
    url: string | undefined,
    expiresAt: Date,
    details: Pick<IssuedLink, 'kind' | 'bucket' | 'key' | 'maxUses' | 'downloadName' | 'contentType' | 'maxSize'>,
    postSignature?: string,
  ): Promise<IssuedLink> {
    const signature = postSignature ?? new URL(url ?? '').searchParams.get('X-Amz-Signature') ?? '';
    const link: IssuedLink = {
      id: randomBytes(9).toString('base64url'),
      ...details,
      issuer: session.principal.name,
      accessKeyId: credentials.accessKeyId,
      linkId: linkId(4, signature),
      createdAt: new Date(this.deps.now()).toISOString(),
      expiresAt: expiresAt.toISOString(),
    };
    await this.deps.store.addIssuedLink(link);
    return link;
  }
}

function checkExpiry(expiresIn: number): void {
  if (!Number.isInteger(expiresIn) || expiresIn < 1) throw new ConsoleError(400, 'InvalidExpiry', 'Choose how long the link works: a whole number of seconds, at least 1.');
  if (expiresIn > MAX_CONSOLE_LINK_SECONDS) {
    throw new ConsoleError(400, 'InvalidExpiry', `Console links last at most 12 hours; you asked for ${describeSeconds(expiresIn)}. Choose 12 hours or less.`);
  }
}

export function describeSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  if (seconds % 60 === 0) return `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

/** Content-Disposition for a chosen download name: a plain ASCII fallback plus the exact UTF-8 name. */
function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
