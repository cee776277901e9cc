import { ApiError, csrfHeaders } from './api.js';

/**
 * The admin API (docs/admin-api.md) reached through the console's signing
 * proxy, like any S3 call: it is signed with the session's temporary
 * credentials, so the admin API's own authorization decides.
 */
export async function admin<T>(method: string, path: string, what: string, body?: string): Promise<T> {
  const headers: Record<string, string> = { ...(method === 'GET' ? {} : csrfHeaders()), accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const answer = await fetch(`/s3/_latchkey/admin/v1${path}`, { method, headers, body: body ?? null, credentials: 'same-origin' });
  const text = await answer.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!answer.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (answer.status === 401) throw new ApiError(401, 'SignInRequired', 'Your console session has ended. Sign in again.');
    throw new ApiError(answer.status, error?.code ?? 'Error', `Could not ${what}: ${error?.message ?? `the server answered ${answer.status}`} (${error?.code ?? answer.status})`);
  }
  return parsed as T;
}

export interface UserView { readonly name: string; readonly status: 'active' | 'disabled'; readonly createdAt: string; readonly policies: string[] }
export interface AccessKeyView { readonly accessKeyId: string; readonly userName: string; readonly status: 'active' | 'inactive'; readonly createdAt: string; readonly lastUsedAt: string | null }
export interface PolicyView { readonly name: string; readonly document: unknown; readonly attachedTo: string[]; readonly createdAt: string; readonly updatedAt: string }
