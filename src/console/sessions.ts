import { createHmac } from 'node:crypto';
import { SESSION_KEY_PREFIX, tokenMatches, type Identities, type Principal } from '../identity/identities.js';
import { sameSecret } from '../identity/same-secret.js';
import type { Credentials } from '../sigv4/types.js';

export const COOKIE_NAME = 'latchkey_console';
/** The longest console session: STS's own ceiling. */
export const SESSION_SECONDS = 12 * 3600;

/** A signed-in browser, as every console request sees it after its cookie checked out. */
export interface ConsoleSession {
  /** Temporary credentials: what every S3 call of this browser is signed with. */
  readonly credentials: Credentials;
  readonly principal: Principal;
  readonly expiresAt: Date;
  /** The long-term key the person signed in with (a hint for which key signs their links). */
  readonly signInKeyId: string;
  /** Sent back in the x-latchkey-csrf header on every state-changing call. */
  readonly csrfToken: string;
}

export type SignInResult = { readonly ok: true; readonly cookie: string; readonly session: ConsoleSession } | { readonly ok: false };

/**
 * Console sign-in on top of the identity store. The long-term secret is
 * checked once and forgotten; the browser's cookie holds only a temporary
 * session's id and token (the session's secret stays sealed in the store), so
 * a stolen cookie is worth at most one session, which sign-out deletes and
 * which dies with its user like any other temporary credentials.
 */
export class ConsoleSessions {
  constructor(
    private readonly identities: Identities,
    private readonly now: () => number = Date.now,
  ) {}

  async signIn(accessKeyId: string, secretAccessKey: string): Promise<SignInResult> {
    // Temporary credentials cannot sign in: they would outlive nothing and need a token besides.
    if (accessKeyId.startsWith(SESSION_KEY_PREFIX)) return { ok: false };
    const resolved = await this.identities.resolveKey(accessKeyId);
    if (resolved === undefined || resolved.tokenHash !== undefined || !sameSecret(resolved.secretAccessKey, secretAccessKey)) return { ok: false };
    const created = await this.identities.createSession(resolved.principal, SESSION_SECONDS, null, new Date(this.now()));
    const token = created.sessionToken ?? '';
    const cookie = `${created.accessKeyId}.${Buffer.from(token, 'base64').toString('base64url')}.${Buffer.from(accessKeyId).toString('base64url')}`;
    const session = await this.fromCookie(cookie);
    if (session === undefined) throw new Error('a session just created could not be read back');
    return { ok: true, cookie, session };
  }

  /** The session a cookie names, checked against the store now: unknown, ended or expired sessions are undefined. */
  async fromCookie(value: string | undefined): Promise<ConsoleSession | undefined> {
    const m = /^(LKTS[A-Z0-9]{1,60})\.([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{1,200})$/.exec(value ?? '');
    if (!m) return undefined;
    const [, sessionKeyId = '', tokenText = '', keyText = ''] = m;
    const signInKeyId = Buffer.from(keyText, 'base64url').toString('utf8');
    const token = Buffer.from(tokenText, 'base64url').toString('base64');
    const resolved = await this.identities.resolveKey(sessionKeyId);
    const expiresAt = resolved?.principal.session?.expiresAt;
    if (resolved?.tokenHash === undefined || expiresAt === undefined || !tokenMatches(token, resolved.tokenHash)) return undefined;
    if (this.now() >= expiresAt.getTime()) return undefined;
    return {
      credentials: { accessKeyId: sessionKeyId, secretAccessKey: resolved.secretAccessKey, sessionToken: token },
      principal: resolved.principal,
      expiresAt,
      signInKeyId,
      csrfToken: createHmac('sha256', token).update('latchkey console csrf').digest('base64url'),
    };
  }

  /** Sign-out: the session is deleted, so its cookie and credentials stop working at once. */
  async signOut(session: ConsoleSession): Promise<void> {
    await this.identities.store.deleteSession(session.credentials.accessKeyId);
  }
}

export function csrfMatches(session: ConsoleSession, sent: string | undefined): boolean {
  return sent !== undefined && sameSecret(session.csrfToken, sent);
}

