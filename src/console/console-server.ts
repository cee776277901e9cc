import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as TlsServer } from 'node:tls';
import type { TlsPair } from '../http/tls.js';
import { EarlyListener } from '../http/early-listener.js';
import { newHttpServer } from '../http/http-server.js';
import { join } from 'node:path';
import type { Identities } from '../identity/identities.js';
import { clientAddress, type TrustedProxies } from '../http/client-address.js';
import type { Logger } from '../logger.js';
import type { SigningKeyCache } from '../sigv4/signing-key.js';
import type { ConsoleStore } from '../storage/console-store.js';
import type { LinkStore } from '../storage/link-store.js';
import { Authorizer } from '../s3/authorize.js';
import { consoleAssets } from './assets.js';
import { answerFailure, type FailureHandling } from '../s3/error-response.js';
import { CONSOLE_ERRORS, ConsoleError, parseCookies, readJson, sameOrigin, sendJson, stringField } from './http.js';
import { presignUrl } from '../presign/url.js';
import { LinkIssuer, MAX_CONSOLE_LINK_SECONDS } from './link-issuer.js';
import { importLinkLog } from './link-log-import.js';
import { ConsolePermissions } from './permissions.js';
import { handleLinks } from './links-api.js';
import { FailedSignIns } from './rate-limit.js';
import { proxyToS3, s3Call, type S3Target } from './s3-proxy.js';
import { COOKIE_NAME, ConsoleSessions, SESSION_SECONDS, csrfMatches, type ConsoleSession } from './sessions.js';
import { readShareRequest, readUploadLinkRequest } from './requests.js';

export interface ConsoleDeps {
  readonly host: string;
  readonly port: number;
  readonly identities: Identities;
  readonly rootAccessKeyId: string;
  /** The S3 listener the console calls over loopback. */
  readonly s3Endpoint: string;
  /** What links name: --public-url when set, else the S3 listener. */
  readonly publicEndpoint: string;
  readonly region: string;
  readonly dataDir: string;
  /** Failed sign-ins and issued links, in the metadata database (shared by every node). */
  readonly store: ConsoleStore;
  readonly logger: Logger;
  readonly keyCache?: SigningKeyCache;
  /** Revocation and the audit log of link use (src/links/); absent on a server without them. */
  readonly links?: { readonly store: LinkStore; flushAudit(): Promise<void> };
  readonly now?: () => number;
  /** Serve HTTPS with this certificate (the S3 port's). */
  readonly tls?: TlsPair;
  /** Proxies whose X-Forwarded-For names the client (--trusted-proxy). */
  readonly trustedProxies?: TrustedProxies;
  /** The port, bound already (newHttpServer) so that a taken one is found before the data dir is opened. */
  readonly listener?: EarlyListener;
}

export interface RunningConsole {
  readonly endpoint: string;
  /** The listener, when it serves HTTPS (for certificate rotation). */
  readonly tlsServer: TlsServer | undefined;
  close(): Promise<void>;
}

/** Previews load from short-lived links on the public S3 endpoint: images, media and PDFs (in a frame) may come from there, nothing else. */
function pageHeaders(publicEndpoint: string): Record<string, string> {
  const s3 = new URL(publicEndpoint).origin;
  return {
    'content-security-policy':
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: ${s3}; media-src ${s3}; frame-src ${s3}; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

/** How long a preview link works: long enough to watch a clip, short enough to be worthless if it leaks. */
const PREVIEW_SECONDS = 300;

/** The web console (docs/console.md) on its own port. */
export async function startConsole(deps: ConsoleDeps): Promise<RunningConsole> {
  const now = deps.now ?? Date.now;
  const sessions = new ConsoleSessions(deps.identities, now);
  const failures = new FailedSignIns(deps.store, 5, 15 * 60_000, now);
  const assets = consoleAssets();
  if (!assets.built) deps.logger.warn('console scripts are not built: run npm run build', {});
  const imported = await importLinkLog(join(deps.dataDir, 'console', 'links.jsonl'), deps.store);
  if (imported > 0) deps.logger.info('console links moved from console/links.jsonl into the metadata database', { links: imported });
  const store = deps.store;
  const issuer = new LinkIssuer({ identities: deps.identities, rootAccessKeyId: deps.rootAccessKeyId, publicEndpoint: deps.publicEndpoint, region: deps.region, store, now });
  const target: S3Target = { endpoint: deps.s3Endpoint, region: deps.region, ...(deps.keyCache ? { keyCache: deps.keyCache } : {}) };
  const permissions = new ConsolePermissions(new Authorizer(deps.identities.store, now));
  const context: RouteContext = { deps, sessions, failures, assets, issuer, store, target, permissions, now };

  const listener = deps.listener ?? (await EarlyListener.bind(newHttpServer(deps.tls), deps.host, deps.port, 'console'));
  const server = listener.server;
  const tlsServer = deps.tls ? (server as unknown as TlsServer) : undefined;
  const answering: FailureHandling = { logger: deps.logger, logFields: { api: 'console' }, closeUnreadBody: false };
  listener.serve((req: IncomingMessage, res: ServerResponse) => {
    route(req, res, context).catch((error: unknown) => answerFailure(res, error, CONSOLE_ERRORS, [], answering));
  }, { handlesExpect: false });
  return {
    endpoint: listener.endpoint(),
    tlsServer,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      }),
  };
}

export interface RouteContext {
  readonly deps: ConsoleDeps;
  readonly sessions: ConsoleSessions;
  readonly failures: FailedSignIns;
  readonly assets: ReturnType<typeof consoleAssets>;
  readonly issuer: LinkIssuer;
  readonly store: ConsoleStore;
  readonly target: S3Target;
  readonly permissions: ConsolePermissions;
  readonly now: () => number;
}

async function route(req: IncomingMessage, res: ServerResponse, c: RouteContext): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  const method = (req.method ?? 'GET').toUpperCase();

  if (path === '/api/session' && method === 'POST') return signIn(req, res, c);
  if (path.startsWith('/api/') || path === '/s3' || path.startsWith('/s3/')) {
    const session = await c.sessions.fromCookie(parseCookies(req.headers.cookie).get(COOKIE_NAME));
    if (session === undefined) throw new ConsoleError(401, 'SignInRequired', 'Your console session has ended. Sign in again.', { 'set-cookie': clearCookie() });
    if (method !== 'GET' && method !== 'HEAD') {
      // State changes need the per-session token only our own pages can read, and a same-origin Origin.
      if (!sameOrigin(req) || !csrfMatches(session, headerValue(req, 'x-latchkey-csrf'))) {
        throw new ConsoleError(403, 'InvalidCsrfToken', 'This request did not come from the console page. Reload the page and try again.');
      }
    }
    if (path === '/s3' || path.startsWith('/s3/')) {
      const clientIp = clientAddress(req, c.deps.trustedProxies);
      return proxyToS3(c.target, session.credentials, req, res, { path: path.slice(3) || '/', query, clientIp });
    }
    return api(req, res, c, session, method, path, query);
  }
  if (method !== 'GET' && method !== 'HEAD') throw new ConsoleError(405, 'MethodNotAllowed', `${method} is not allowed here.`);
  const asset = await c.assets.read(path);
  if (asset === undefined) throw new ConsoleError(404, 'NotFound', `Nothing at ${path}.`);
  res.writeHead(200, { 'content-type': asset.type, 'content-length': String(asset.body.length), 'cache-control': 'no-cache', ...pageHeaders(c.deps.publicEndpoint) });
  res.end(method === 'HEAD' ? undefined : asset.body);
}

async function api(req: IncomingMessage, res: ServerResponse, c: RouteContext, session: ConsoleSession, method: string, path: string, query: string): Promise<void> {
  if (path === '/api/session' && method === 'GET') {
    return sendJson(res, 200, {
      user: session.principal.name,
      kind: session.principal.kind,
      expiresAt: session.expiresAt.toISOString(),
      csrfToken: session.csrfToken,
      publicEndpoint: c.deps.publicEndpoint,
      maxLinkSeconds: MAX_CONSOLE_LINK_SECONDS,
      revocation: c.deps.links !== undefined,
    });
  }
  if (path === '/api/session' && method === 'DELETE') {
    await c.sessions.signOut(session);
    return sendJson(res, 200, { signedOut: true }, { 'set-cookie': clearCookie() });
  }
  if (path === '/api/share' && method === 'POST') {
    const request = readShareRequest(await readJson(req));
    await checkReadable(c, session, request.bucket, request.key, request.versionId);
    return sendJson(res, 201, await c.issuer.share(session, request));
  }
  if (path === '/api/upload-links' && method === 'POST') {
    const request = readUploadLinkRequest(await readJson(req));
    if (!(await c.permissions.mayUpload(session, request.bucket, request.key, request.prefix))) {
      const target = `${request.bucket}/${request.key}${request.prefix ? '…' : ''}`;
      throw new ConsoleError(403, 'AccessDenied', `You cannot create an upload link to ${target}: you are not allowed to upload there, and a link can do no more than the person who signs it.`);
    }
    return sendJson(res, 201, await c.issuer.uploadLink(session, request));
  }
  if (path === '/api/preview' && method === 'POST') {
    // Signed with the session's temporary credentials: it dies with the session, and is no share (not in the Links log).
    const body = await readJson(req);
    const signed = presignUrl({
      endpoint: c.deps.publicEndpoint, bucket: stringField(body, 'bucket') ?? '', key: stringField(body, 'key') ?? '', expiresIn: PREVIEW_SECONDS,
      credentials: session.credentials, region: c.deps.region, now: c.now(), responseContentDisposition: 'inline',
    });
    return sendJson(res, 200, { url: signed.url, expiresAt: signed.expiresAt.toISOString() });
  }
  if (path === '/api/permissions' && method === 'GET') {
    const params = new URLSearchParams(query);
    const bucket = params.get('bucket');
    return sendJson(res, 200, bucket ? await c.permissions.folder(session, bucket, params.get('prefix') ?? '') : await c.permissions.home(session));
  }
  if (path === '/api/links' || path.startsWith('/api/links/')) return handleLinks(req, res, c, session, method, path);
  throw new ConsoleError(404, 'NotFound', `No console API at ${method} ${path}.`);
}

/** Longer than any access key id: what a failure is counted under is bounded. */
const MAX_KEY_ID = 128;

async function signIn(req: IncomingMessage, res: ServerResponse, c: RouteContext): Promise<void> {
  if (!sameOrigin(req)) throw new ConsoleError(403, 'InvalidOrigin', 'Sign in from the console page itself.');
  const ip = clientAddress(req, c.deps.trustedProxies);
  const body = await readJson(req);
  const accessKeyId = typeof body['accessKeyId'] === 'string' ? body['accessKeyId'].trim().slice(0, MAX_KEY_ID) : '';
  const secret = typeof body['secretAccessKey'] === 'string' ? body['secretAccessKey'] : '';
  // Checked before the secret: a key locked from here is refused whether the guess is right or not.
  const wait = await c.failures.retryAfterMs(ip, accessKeyId);
  if (wait > 0) {
    const minutes = Math.ceil(wait / 60_000);
    throw new ConsoleError(
      429,
      'TooManyAttempts',
      `Too many failed sign-ins with this access key from your address. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      { 'retry-after': String(Math.ceil(wait / 1000)) },
    );
  }
  const result = accessKeyId === '' || secret === '' ? ({ ok: false } as const) : await c.sessions.signIn(accessKeyId, secret);
  if (!result.ok) {
    await c.failures.record(ip, accessKeyId);
    c.deps.logger.warn('console sign-in failed', { ip, accessKeyId: accessKeyId.slice(0, 64) });
    // One message for every failure: an unknown key, a disabled one and a wrong secret look alike.
    throw new ConsoleError(401, 'InvalidCredentials', 'The access key ID or secret access key is not correct, or the key is not active.');
  }
  c.deps.logger.info('console sign-in', { ip, user: result.session.principal.name });
  const secure = (req.headers.origin ?? '').startsWith('https:') ? '; Secure' : '';
  sendJson(res, 200, { user: result.session.principal.name, expiresAt: result.session.expiresAt.toISOString() }, {
    'set-cookie': `${COOKIE_NAME}=${result.cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_SECONDS}${secure}`,
  });
}

/** Sharing needs the right to read: asked of the S3 API as the signed-in person, like any other read. */
async function checkReadable(c: RouteContext, session: ConsoleSession, bucket: string, key: string, versionId?: string): Promise<void> {
  const query = versionId === undefined ? '' : `versionId=${encodeURIComponent(versionId)}`;
  const answer = await s3Call(c.target, session.credentials, { method: 'HEAD', path: `/${encodePath(bucket)}/${encodePath(key)}`, query, headers: {} });
  if (answer.status === 403) throw new ConsoleError(403, 'AccessDenied', `You cannot share ${bucket}/${key}: you are not allowed to read it.`);
  if (answer.status === 404) throw new ConsoleError(404, 'NoSuchKey', `There is no object ${bucket}/${key} to share.`);
  if (answer.status >= 300) throw new ConsoleError(502, 'S3Error', `The object could not be checked (status ${answer.status}).`);
}

function encodePath(text: string): string {
  return text.split('/').map(encodeURIComponent).join('/');
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function clearCookie(): string {
  return `${COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
}
