import { apiJson } from './api.js';
import { alertBox, announce, h, openDialog } from './dom.js';
import { baseName, formatSize, formatTime } from './format.js';
import type { Page } from './main.js';
import type { FolderPermissions } from './objects.js';
import { deleteVersion, headObject, listVersions, objectPath, restoreVersion, s3, versionPath, type ObjectVersion } from './s3.js';
import { openShareDialog } from './share.js';

/** The first bytes of a text object are shown; the rest stays a download away. */
const TEXT_PREVIEW_BYTES = 64 * 1024;

function isText(type: string): boolean {
  return type.startsWith('text/') || /^application\/(json|xml|javascript|x-yaml|yaml|x-sh)\b/.test(type) || /\+(json|xml)\b/.test(type);
}

/**
 * A preview of what a browser can show safely: images, video, audio and PDF
 * through a short-lived link on the S3 endpoint (another origin, so nothing in
 * the file can reach the console), text as text through the console's proxy.
 */
async function preview(bucket: string, key: string, type: string): Promise<HTMLElement | null> {
  const name = baseName(key);
  const kind = type.split(';')[0]?.trim().toLowerCase() ?? '';
  if (isText(kind)) {
    const answer = await s3('GET', objectPath(bucket, key), `read ${bucket}/${key}`, { headers: { range: `bytes=0-${TEXT_PREVIEW_BYTES - 1}` } });
    const text = await answer.text();
    const whole = answer.status !== 206 || !/\/(\d+)$/.test(answer.headers.get('content-range') ?? '') || Number(/\/(\d+)$/.exec(answer.headers.get('content-range') ?? '')?.[1]) <= TEXT_PREVIEW_BYTES;
    return h('div', {}, h('pre', { class: 'text-preview', tabindex: 0, 'aria-label': `Preview of ${name}` }, text), whole ? null : h('p', { class: 'hint' }, `The first ${formatSize(TEXT_PREVIEW_BYTES)} are shown.`));
  }
  const media = kind.startsWith('image/') ? 'img' : kind.startsWith('video/') ? 'video' : kind.startsWith('audio/') ? 'audio' : kind === 'application/pdf' ? 'iframe' : undefined;
  if (media === undefined) return null;
  const { url } = await apiJson<{ url: string }>('POST', '/api/preview', { bucket, key });
  if (media === 'img') return h('img', { src: url, alt: `Preview of ${name}`, class: 'media-preview' });
  if (media === 'iframe') return h('iframe', { src: url, title: `Preview of ${name}`, class: 'pdf-preview' });
  return h(media, { src: url, controls: true, preload: 'metadata', class: 'media-preview', 'aria-label': `Preview of ${name}` });
}

/**
 * The versions of the object, when its bucket keeps them: each one can be
 * downloaded, shared, restored (copied over the current one, as a new
 * version) or deleted for good. Nothing is shown for a bucket never versioned.
 */
function versionsSection(page: Page, bucket: string, key: string, can: FolderPermissions, refresh: () => void): HTMLElement {
  const section = h('section', { class: 'versions', 'aria-label': 'Versions' });
  const problem = h('div', {});
  const act = (what: () => Promise<void>, done: string) => () => {
    what().then(() => {
      announce(done);
      refresh();
      void fill();
    }, (error: unknown) => problem.replaceChildren(alertBox(error instanceof Error ? error.message : String(error))));
  };
  const row = (v: ObjectVersion) => h('tr', { 'data-version': v.versionId },
    h('td', {}, h('code', {}, v.versionId), v.latest ? h('span', { class: 'badge' }, ' current') : null, v.deleteMarker ? h('span', { class: 'badge' }, ' deleted (marker)') : null),
    h('td', {}, formatTime(v.modified)),
    h('td', {}, v.deleteMarker ? '—' : formatSize(v.size)),
    h('td', { class: 'row-actions' },
      !v.deleteMarker && can.read ? h('a', { class: 'button small', href: versionPath(bucket, key, v.versionId), download: baseName(key), 'aria-label': `Download version ${v.versionId}` }, 'Download') : null,
      !v.deleteMarker && can.read ? h('button', { type: 'button', class: 'small', 'aria-label': `Share version ${v.versionId}`, onclick: () => void openShareDialog(page, bucket, key, v.versionId) }, 'Share') : null,
      !v.deleteMarker && !v.latest && can.write ? h('button', { type: 'button', class: 'small', 'aria-label': `Restore version ${v.versionId}`, onclick: act(() => restoreVersion(bucket, key, v.versionId), `Version ${v.versionId} restored`) }, 'Restore') : null,
      can.delete ? h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete version ${v.versionId}`, onclick: act(() => deleteVersion(bucket, key, v.versionId), `Version ${v.versionId} deleted`) }, 'Delete') : null));
  const fill = () => listVersions(bucket, key).then((versions) => {
    // A bucket never versioned has one "null" version per object: nothing to choose from.
    if (versions.length === 0 || (versions.length === 1 && versions[0]?.versionId === 'null')) {
      section.replaceChildren();
      return;
    }
    section.replaceChildren(h('h3', {}, 'Versions'), problem, h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Version'), h('th', {}, 'Modified'), h('th', {}, 'Size'), h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, ...versions.map(row)))));
  }, () => section.replaceChildren());
  void fill();
  return section;
}

export async function showDetails(bucket: string, key: string, canRead: boolean, page?: Page, can?: FolderPermissions, refresh: () => void = () => undefined): Promise<void> {
  let headers: Headers;
  try {
    headers = await headObject(bucket, key);
  } catch (error) {
    await openDialog('Object details', (body) => body.append(alertBox(error instanceof Error ? error.message : String(error))));
    return;
  }
  const rows: [string, string][] = [
    ['Bucket', bucket],
    ['Key', key],
    ['Size', `${formatSize(Number(headers.get('content-length')))} (${headers.get('content-length') ?? '?'} bytes)`],
    ['Content type', headers.get('content-type') ?? '—'],
    ['Last modified', formatTime(headers.get('last-modified'))],
    ['ETag', headers.get('etag') ?? '—'],
  ];
  for (const name of ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires']) {
    const value = headers.get(name);
    if (value) rows.push([name, value]);
  }
  headers.forEach((value, name) => {
    if (name.startsWith('x-amz-meta-')) rows.push([`Metadata: ${name.slice(11)}`, value]);
  });
  const previewBox = h('section', { class: 'preview', 'aria-label': 'Preview' });
  await openDialog('Object details', (body) => {
    body.append(previewBox, h('dl', { class: 'details' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
    if (page !== undefined && can !== undefined) body.append(versionsSection(page, bucket, key, can, refresh));
    if (!canRead) return;
    preview(bucket, key, headers.get('content-type') ?? '').then(
      (element) => (element ? previewBox.append(element) : previewBox.remove()),
      (error: unknown) => previewBox.append(alertBox(`No preview: ${error instanceof Error ? error.message : String(error)}`)),
    );
  });
}
