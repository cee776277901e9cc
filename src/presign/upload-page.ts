/** Where the server serves the page a person without credentials uploads from (src/upload-page/). */
export const UPLOAD_PAGE_PATH = '/_latchkey/upload';

/** What the page posts to: a pre-signed PUT (with the headers it must carry) or a POST policy form. */
export type UploadPageForm =
  | { readonly put: string; readonly headers?: Readonly<Record<string, string>> | undefined }
  | { readonly post: string; readonly fields: Readonly<Record<string, string>> };

/**
 * The upload page's address for one signed PUT link or POST form. The signed
 * form rides in the fragment, which browsers never send, so it stays out of
 * server and proxy logs; the page posts to exactly that link, nothing more.
 */
export function uploadPageUrl(endpoint: string, form: UploadPageForm): string {
  const headers = 'put' in form && form.headers !== undefined && Object.keys(form.headers).length > 0 ? { headers: form.headers } : {};
  const payload = 'put' in form ? { put: form.put, ...headers } : { post: form.post, fields: form.fields };
  return `${endpoint.replace(/\/+$/, '')}${UPLOAD_PAGE_PATH}#${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
}
