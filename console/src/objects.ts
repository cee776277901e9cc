import { alertBox, announce, confirmDialog, field, h, openDialog, replace } from './dom.js';
import { baseName, formatSize, formatTime } from './format.js';
import type { Page } from './main.js';
import { deleteObject, headObject, listObjects, objectPath, type Listing } from './s3.js';
import { openShareDialog, openUploadLinkDialog } from './share.js';
import { uploadFile } from './upload.js';

const PAGE_SIZES = [25, 50, 100, 500];
let pageSize = 100;

/** One folder of a bucket: "/"-delimited prefixes as folders, objects with their size, type and time. */
export async function renderObjects(page: Page, bucket: string, folder: string): Promise<void> {
  document.title = `${bucket}/${folder} · Latchkey console`;
  const { main } = page;
  const problem = h('div', { class: 'problem' });
  /** Continuation tokens of the pages before the current one (undefined: the first page). */
  const tokens: (string | undefined)[] = [undefined];
  let search = '';

  const crumbs = h('ol');
  const parts = folder.split('/').filter((p) => p !== '');
  crumbs.append(h('li', {}, h('a', { href: '#/buckets' }, 'Buckets')));
  crumbs.append(h('li', {}, parts.length === 0 ? h('span', { 'aria-current': 'page' }, bucket) : h('a', { href: folderHash(bucket, '') }, bucket)));
  parts.forEach((part, i) => {
    const prefix = `${parts.slice(0, i + 1).join('/')}/`;
    crumbs.append(h('li', {}, i === parts.length - 1 ? h('span', { 'aria-current': 'page' }, part) : h('a', { href: folderHash(bucket, prefix) }, part)));
  });

  const searchInput = h('input', { type: 'search', name: 'search', spellcheck: 'false', autocapitalize: 'off' });
  const searchForm = h('form', { class: 'inline-form', role: 'search', 'aria-label': 'Search this folder by name prefix' },
    field('Name starts with', searchInput), h('button', { type: 'submit' }, 'Search'));
  const sizeSelect = h('select', { name: 'pageSize' }, ...PAGE_SIZES.map((n) => h('option', { value: n, selected: n === pageSize }, String(n))));
  const tableBody = h('tbody');
  const pager = h('div', { class: 'pager' });
  const uploads = h('ul', { class: 'uploads', 'aria-label': 'Uploads' });

  const load = async () => {
    replace(problem);
    let listing: Listing;
    try {
      listing = await listObjects(bucket, folder + search, pageSize, tokens[tokens.length - 1]);
    } catch (error) {
      replace(tableBody);
      replace(problem, alertBox(error instanceof Error ? error.message : String(error)));
      return;
    }
    const rows: HTMLElement[] = [];
    for (const prefix of listing.folders) {
      rows.push(h('tr', { class: 'folder' },
        h('th', { scope: 'row' }, h('a', { href: folderHash(bucket, prefix), class: 'folder-link' }, `${baseName(prefix)}/`)),
        h('td', {}, '—'), h('td', {}, 'Folder'), h('td', {}, '—'), h('td', {})));
    }
    for (const object of listing.objects) {
      const name = object.key.slice(folder.length);
      const typeCell = h('td', { class: 'type' }, '…');
      rows.push(h('tr', {},
        h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', 'aria-label': `Details of ${name}`, onclick: () => void showDetails(bucket, object.key) }, name)),
        h('td', { class: 'num' }, formatSize(object.size)),
        typeCell,
        h('td', {}, formatTime(object.modified)),
        h('td', { class: 'row-actions' },
          h('a', { class: 'button small', href: objectPath(bucket, object.key), download: baseName(object.key), 'aria-label': `Download ${name}` }, 'Download'),
          h('button', { type: 'button', class: 'small', 'aria-label': `Share ${name}`, onclick: () => void openShareDialog(page, bucket, object.key) }, 'Share'),
          h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete ${name}`, onclick: () => void remove(object.key) }, 'Delete'))));
      fillType(typeCell, bucket, object.key);
    }
    if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, search ? `Nothing here starts with “${search}”.` : 'This folder is empty: drop files above to upload.')));
    replace(tableBody, ...rows);
    const pageNumber = tokens.length;
    replace(pager,
      h('button', { type: 'button', disabled: pageNumber === 1, onclick: () => { tokens.pop(); void load(); } }, '← Previous'),
      h('span', { 'aria-live': 'polite' }, `Page ${pageNumber}`),
      h('button', { type: 'button', disabled: listing.nextToken === undefined, onclick: () => { tokens.push(listing.nextToken); void load(); } }, 'Next →'),
      h('label', { class: 'page-size' }, 'Per page ', sizeSelect));
  };

  const remove = async (key: string) => {
    if (!(await confirmDialog('Delete object', `Delete “${key}” from ${bucket}? This cannot be undone.`, 'Delete object'))) return;
    try {
      await deleteObject(bucket, key);
      announce(`${key} deleted`);
      await load();
    } catch (error) {
      replace(problem, alertBox(error instanceof Error ? error.message : String(error)));
    }
  };

  const startUploads = (files: readonly File[]) => {
    const queue = files.map((file) => {
      const bar = h('progress', { max: Math.max(1, file.size), value: 0, 'aria-label': `Upload progress of ${file.name}` });
      const state = h('span', { class: 'state' }, 'Waiting');
      uploads.append(h('li', {}, h('span', { class: 'file' }, file.name), bar, state));
      return { file, bar, state };
    });
    let loaded = false;
    const run = async (item: (typeof queue)[number]) => {
      item.state.textContent = 'Uploading';
      try {
        await uploadFile(bucket, folder + item.file.name, item.file, (done, total) => {
          item.bar.value = done;
          item.state.textContent = `${Math.floor((done / Math.max(1, total)) * 100)}%`;
        });
        item.state.textContent = 'Done';
        item.bar.value = item.bar.max;
        announce(`${item.file.name} uploaded`);
        if (!loaded) {
          loaded = true;
          setTimeout(() => { loaded = false; void load(); }, 200);
        }
      } catch (error) {
        item.state.textContent = 'Failed';
        item.state.classList.add('failed');
        uploads.append(h('li', { class: 'upload-error' }, alertBox(`${item.file.name}: ${error instanceof Error ? error.message : String(error)}`)));
      }
    };
    // Three at a time: parallel enough to fill the line, few enough to keep each bar moving.
    const pending = [...queue];
    const worker = async () => {
      for (let item = pending.shift(); item; item = pending.shift()) await run(item);
    };
    void Promise.all([worker(), worker(), worker()]).then(() => load());
  };

  const fileInput = h('input', { type: 'file', multiple: true, class: 'file-input', id: 'upload-files' });
  fileInput.addEventListener('change', () => {
    startUploads([...(fileInput.files ?? [])]);
    fileInput.value = '';
  });
  const drop = h('div', { class: 'dropzone' },
    fileInput,
    h('label', { for: 'upload-files' }, h('strong', {}, 'Choose files'), ' or drop them here to upload to ', h('code', {}, `${bucket}/${folder}`)));
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    startUploads([...(event.dataTransfer?.files ?? [])]);
  });

  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    search = searchInput.value;
    tokens.splice(1);
    void load();
  });
  sizeSelect.addEventListener('change', () => {
    pageSize = Number(sizeSelect.value);
    tokens.splice(1);
    void load();
  });

  const table = h('table', {}, h('caption', { class: 'sr-only' }, `Contents of ${bucket}/${folder}`),
    h('thead', {}, h('tr', {}, ...['Name', 'Size', 'Type', 'Modified'].map((t) => h('th', { scope: 'col' }, t)), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
    tableBody);
  replace(main,
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' }, crumbs),
    h('div', { class: 'title-row' }, h('h1', {}, folder === '' ? bucket : baseName(folder)),
      h('button', { type: 'button', onclick: () => void openUploadLinkDialog(page, bucket, folder) }, 'Create upload link')),
    drop, uploads, h('div', { class: 'toolbar' }, searchForm), problem, h('div', { class: 'table-wrap' }, table), pager);
  await load();
}

function folderHash(bucket: string, prefix: string): string {
  return `#/b/${encodeURIComponent(bucket)}/${encodeURIComponent(prefix)}`;
}

/** Fills a row's Type cell from a HEAD (listings carry no content type); a few at a time. */
let inFlight = 0;
const waiting: (() => void)[] = [];
function fillType(cell: HTMLElement, bucket: string, key: string): void {
  const go = () => {
    inFlight += 1;
    headObject(bucket, key)
      .then((headers) => (cell.textContent = headers.get('content-type') ?? '—'))
      .catch(() => (cell.textContent = '—'))
      .finally(() => {
        inFlight -= 1;
        waiting.shift()?.();
      });
  };
  if (inFlight < 6) go();
  else waiting.push(go);
}

async function showDetails(bucket: string, key: string): Promise<void> {
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
  await openDialog('Object details', (body) => body.append(h('dl', { class: 'details' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))));
}
