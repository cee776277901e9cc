/** The console server's JSON API and its same-origin S3 proxy (/s3/...), signed server-side with the session's temporary credentials. */

export interface SessionInfo {
  readonly user: string;
  readonly kind: 'root' | 'user';
  readonly expiresAt: string;
  readonly csrfToken: string;
  readonly publicEndpoint: string;
  readonly maxLinkSeconds: number;
  readonly revocation: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
/** Called when any call finds the session gone, so the page can return to sign-in. */
let onSignedOut: () => void = () => undefined;

export function setSignedOutHandler(handler: () => void): void {
  onSignedOut = handler;
}

export function csrfHeaders(): Record<string, string> {
  return { 'x-latchkey-csrf': csrfToken };
}

export async function apiJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { ...csrfHeaders(), accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const answer = await fetch(path, { method, headers, body: body === undefined ? null : JSON.stringify(body), credentials: 'same-origin' });
  const text = await answer.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: reported below
  }
  if (!answer.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (answer.status === 401 && error?.code === 'SignInRequired') onSignedOut();
    throw new ApiError(answer.status, error?.code ?? 'Error', error?.message ?? `The console answered ${answer.status}.`);
  }
  return parsed as T;
}

export async function currentSession(): Promise<SessionInfo | undefined> {
  try {
    const info = await apiJson<SessionInfo>('GET', '/api/session');
    csrfToken = info.csrfToken;
    return info;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    throw error;
  }
}

export async function signIn(accessKeyId: string, secretAccessKey: string): Promise<SessionInfo> {
  await apiJson('POST', '/api/session', { accessKeyId, secretAccessKey });
  const info = await currentSession();
  if (!info) throw new ApiError(401, 'SignInRequired', 'The sign-in did not stick: does the browser accept cookies?');
  return info;
}

export async function signOut(): Promise<void> {
  await apiJson('DELETE', '/api/session');
  csrfToken = '';
}
