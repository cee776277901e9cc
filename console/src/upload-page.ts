import { alertBox, announce, dropZone, h, replace } from './dom.js';
import { formatSize } from './format.js';
import { describeFailure, UploadFailure } from './upload-failure.js';

/**
 * The recipient's upload page (served by the S3 listener at /_latchkey/upload):
 * the signed PUT URL or POST form is in the fragment, base64url JSON, made by
 * uploadPageUrl() on the server. The page tells the person what the link
 * allows, checks what it can before sending, and posts to exactly that link.
 */

interface PutForm { readonly put: string; readonly headers?: Record<string, string> }
interface PostForm { readonly post: string; readonly fields: Record<string, string> }
type Form = PutForm | PostForm;

interface Facts {
  readonly bucket: string;
  /** The exact key, or the prefix every key starts with. */
  readonly key: string;
  readonly prefix: boolean;
  readonly expiresAt: Date | undefined;
  readonly maxSize: number | undefined;
  readonly minSize: number;
  readonly contentType: string | undefined;
}

function decodeForm(fragment: string): Form | undefined {
  try {
    const base64 = fragment.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<PutForm & PostForm>;
    if (typeof value.put === 'string') return { put: value.put, ...(value.headers ? { headers: value.headers } : {}) };
    if (typeof value.post === 'string' && typeof value.fields === 'object' && value.fields !== null) return { post: value.post, fields: value.fields };
  } catch {
    // reported as an incomplete link below
  }
  return undefined;
}

function pathParts(url: URL): string[] {
  return url.pathname.split('/').slice(1).map(decodeURIComponent);
}

function amzDate(text: string | null): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
}

function factsOf(form: Form): Facts {
  if ('put' in form) {
    const url = new URL(form.put);
    const [bucket = '', ...key] = pathParts(url);
    const signedAt = amzDate(url.searchParams.get('X-Amz-Date'));
    const expires = url.searchParams.get('X-Amz-Expires');
    const v2 = url.searchParams.get('Expires');
    const expiresAt = signedAt !== undefined && expires !== null ? new Date(signedAt + Number(expires) * 1000) : v2 !== null ? new Date(Number(v2) * 1000) : undefined;
    const contentType = Object.entries(form.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
    return { bucket, key: key.join('/'), prefix: false, expiresAt, maxSize: undefined, minSize: 0, contentType };
  }
  const [bucket = ''] = pathParts(new URL(form.post));
  let policy: { expiration?: string; conditions?: unknown[] } = {};
  try {
    policy = JSON.parse(atob(form.fields['policy'] ?? form.fields['Policy'] ?? '')) as typeof policy;
  } catch {
    // an unreadable policy: the server will say what is wrong with it
  }
  let key = (form.fields['key'] ?? '').replace('${filename}', '');
  let prefix = (form.fields['key'] ?? '').includes('${filename}');
  let minSize = 0;
  let maxSize: number | undefined;
  for (const condition of policy.conditions ?? []) {
    if (Array.isArray(condition) && condition[0] === 'content-length-range') {
      minSize = Number(condition[1]);
      maxSize = Number(condition[2]);
    } else if (Array.isArray(condition) && condition[0] === 'starts-with' && condition[1] === '$key') {
      key = String(condition[2]);
      prefix = true;
    }
  }
  const contentType = Object.entries(form.fields).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  return { bucket, key, prefix, expiresAt: policy.expiration ? new Date(policy.expiration) : undefined, maxSize, minSize, contentType };
}

function untilText(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'in less than a minute';
  if (minutes < 120) return `in ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `in about ${hours} hours` : `in about ${Math.round(hours / 24)} days`;
}

/** One upload with progress: PUT the file to the link, or POST the form's fields and then the file. */
function send(form: Form, file: File, onProgress: (loaded: number) => void): Promise<{ key: string | undefined }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    let body: Blob | FormData;
    if ('put' in form) {
      xhr.open('PUT', form.put);
      const headers = form.headers ?? {};
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      // Unsigned, so free to choose: the file's own type is the most useful one to store.
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
      body = file;
    } else {
      xhr.open('POST', form.post);
      const data = new FormData();
      for (const [name, value] of Object.entries(form.fields)) data.append(name, value);
      data.append('file', file, file.name);
      body = data;
    }
    xhr.upload.addEventListener('progress', (event) => onProgress(event.loaded));
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        const key = xhr.responseXML?.getElementsByTagName('Key')[0]?.textContent ?? undefined;
        resolve({ key });
        return;
      }
      const doc = new DOMParser().parseFromString(xhr.responseText, 'application/xml');
      const text = (name: string) => doc.getElementsByTagName(name)[0]?.textContent ?? '';
      reject(new UploadFailure(xhr.status, text('Code'), text('Message'), xhr.getResponseHeader('x-amz-request-id') ?? text('RequestId')));
    });
    xhr.addEventListener('error', () => reject(new UploadFailure(0, 'NetworkError', 'The connection was lost before the upload finished.', '')));
    xhr.send(body);
  });
}

function render(): void {
  const main = document.getElementById('main') as HTMLElement;
  const form = decodeForm(location.hash.slice(1));
  if (form === undefined) {
    replace(main, h('div', { class: 'card' }, h('h1', {}, 'This upload link is incomplete'),
      h('p', {}, 'The part of the link after “#” is missing or damaged. Copy the whole link again, or ask the person who sent it for a new one.')));
    return;
  }
  const facts = factsOf(form);
  const expired = facts.expiresAt !== undefined && facts.expiresAt.getTime() <= Date.now();
  const where = `${facts.bucket}/${facts.key}${facts.prefix ? '…' : ''}`;
  const limit = facts.maxSize === undefined ? 'No limit set by this link' : `Up to ${formatSize(facts.maxSize)}`;
  const rows: [string, Node | string][] = [
    [facts.prefix ? 'Uploads go under' : 'Uploads to', h('code', {}, where)],
    ['Size limit', limit],
    ['File type', facts.contentType ?? 'Any'],
    ['Link expires', facts.expiresAt
      ? h('span', {}, h('time', { datetime: facts.expiresAt.toISOString() }, facts.expiresAt.toLocaleString()), expired ? ' (expired)' : ` (${untilText(facts.expiresAt.getTime() - Date.now())})`)
      : 'Unknown'],
  ];
  const facts_ = h('dl', { class: 'details' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  const results = h('ul', { class: 'uploads', 'aria-label': 'Uploads' });
  const input = h('input', { type: 'file', class: 'file-input', id: 'recipient-file', multiple: facts.prefix, disabled: expired });
  const drop = h('div', { class: 'dropzone' }, input,
    h('label', { for: input.id }, h('strong', {}, facts.prefix ? 'Choose files' : 'Choose a file'), ' or drop ', facts.prefix ? 'them' : 'it', ' here'));
  const start = (files: readonly File[]) => {
    for (const file of facts.prefix ? files : files.slice(0, 1)) void uploadOne(file);
  };
  const uploadOne = async (file: File) => {
    const bar = h('progress', { max: Math.max(1, file.size), value: 0, 'aria-label': `Upload progress of ${file.name}` });
    const state = h('span', { class: 'state' }, 'Starting');
    const item = h('li', {}, h('span', { class: 'file' }, file.name), bar, state);
    results.append(item);
    const refuse = (reason: string) => {
      item.classList.add('failed-item');
      state.textContent = 'Not sent';
      item.after(h('li', { class: 'upload-error' }, alertBox(`${file.name}: ${reason}`)));
    };
    if (facts.maxSize !== undefined && file.size > facts.maxSize) return refuse(`This file is ${formatSize(file.size)}; the link accepts at most ${formatSize(facts.maxSize)}.`);
    if (file.size < facts.minSize) return refuse(`This file is ${formatSize(file.size)}; the link needs at least ${formatSize(facts.minSize)}.`);
    try {
      const done = await send(form, file, (loaded) => {
        bar.value = loaded;
        state.textContent = `${Math.floor((loaded / Math.max(1, file.size)) * 100)}%`;
      });
      bar.value = bar.max;
      state.textContent = 'Done';
      const stored = done.key ?? (facts.prefix ? `${facts.key}${file.name}` : facts.key);
      item.after(h('li', { class: 'upload-ok' }, h('p', { class: 'notice', role: 'status' }, `Uploaded ${file.name} (${formatSize(file.size)}) as ${facts.bucket}/${stored}. You can close this page.`)));
      announce(`${file.name} uploaded`);
    } catch (error) {
      item.classList.add('failed-item');
      state.textContent = 'Failed';
      state.classList.add('failed');
      item.after(h('li', { class: 'upload-error' }, alertBox(`${file.name}: ${error instanceof UploadFailure ? describeFailure(error, facts.maxSize) : String(error)}`)));
    }
  };
  input.addEventListener('change', () => {
    start([...(input.files ?? [])]);
    input.value = '';
  });
  dropZone(drop, (data) => {
    if (!expired) start([...data.files]);
  });
  replace(main, h('div', { class: 'card' },
    h('h1', {}, facts.prefix ? 'Upload files' : 'Upload a file'),
    h('p', { class: 'muted' }, 'Someone shared this upload link with you. What you send goes straight to their storage; nothing else there is visible from this page.'),
    facts_,
    expired ? alertBox('This upload link has expired. Ask the person who sent it for a new one.') : drop,
    results));
  document.title = `Upload to ${where} · Latchkey`;
}

window.addEventListener('hashchange', render);
render();
