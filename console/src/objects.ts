import { apiJson } from './api.js';
import { alertBox, announce, confirmDialog, dropZone, field, h, openDialog, replace } from './dom.js';
import { showDetails } from './details.js';
import { baseName, formatSize, formatTime } from './format.js';
import type { Page } from './main.js';
import { createFolder, deleteObject, deleteObjects, headObject, listObjects, objectPath, type Listing } from './s3.js';
import { openShareDialog, openUploadLinkDialog } from './share.js';
import { droppedFiles, uploadQueue } from './upload-queue.js';

const PAGE_SIZES = [25, 50, 100, 500];
let pageSize = 100;

/** What the signed-in person may do in this folder (GET /api/permissions), so only workable actions are offered. */
export interface FolderPermissions {
  readonly list: boolean;
  readonly read: boolean;
  readonly write: boolean;
  readonly delete: boolean;
  readonly bucketSettings: boolean;
  readonly deleteBucket: boolean;
}

/** One folder of a bucket: "/"-delimited prefixes as folders, objects with their size, type and time. */
export async function renderObjects(page: Page, bucket: string, folder: string): Promise<void> {
  document.title = `${bucket}/${folder} · Latchkey console`;
  const { main } = page;
  const can = await apiJson<FolderPermissions>('GET', `/api/permissions?${new URLSearchParams({ bucket, prefix: folder }).toString()}`);
  const problem = h('div', { class: 'problem' });
  /** Continuation tokens of the pages before the current one (undefined: the first page). */
  const tokens: (string | undefined)[] = [undefined];
  let search = '';
  const selected = new Set<string>();

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
  const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select all objects on this page' });
  const selectionCount = h('span', { class: 'muted', 'aria-live': 'polite' });
  const deleteSelected = h('button', { type: 'button', class: 'small danger', disabled: true, onclick: () => void removeSelected() }, 'Delete selected');
  const downloadSelected = h('button', { type: 'button', class: 'small', disabled: true, onclick: () => downloadAll() }, 'Download selected');
  const selectionBar = h('div', { class: 'selection-bar' }, selectionCount, can.read ? downloadSelected : null, can.delete ? deleteSelected : null);
  const syncSelection = () => {
    const n = selected.size;
    selectionCount.textContent = n === 0 ? 'No objects selected' : `${n} selected`;
    deleteSelected.disabled = n === 0;
    downloadSelected.disabled = n === 0;
    const boxes = [...tableBody.querySelectorAll<HTMLInputElement>('input.pick')];
    selectAll.checked = boxes.length > 0 && boxes.every((b) => b.checked);
  };

  const load = async () => {
    replace(problem);
    selected.clear();
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
      rows.push(h('tr', { class: 'folder' }, h('td', {}),
        h('th', { scope: 'row' }, h('a', { href: folderHash(bucket, prefix), class: 'folder-link' }, `${baseName(prefix)}/`)),
        h('td', {}, '—'), h('td', {}, 'Folder'), h('td', {}, '—'), h('td', {})));
    }
    // The folder's own marker object ("docs/") is the folder itself, not a row in it.
    for (const object of listing.objects.filter((o) => o.key !== folder)) {
      const name = object.key.slice(folder.length);
      const typeCell = h('td', { class: 'type' }, '…');
      const pick = h('input', { type: 'checkbox', class: 'pick', 'aria-label': `Select ${name}` });
      pick.addEventListener('change', () => {
        if (pick.checked) selected.add(object.key);
        else selected.delete(object.key);
        syncSelection();
      });
      rows.push(h('tr', {},
        h('td', { class: 'pick-cell' }, pick),
        h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', 'aria-label': `Details of ${name}`, onclick: () => void showDetails(bucket, object.key, can.read, page, can, () => void load()) }, name)),
        h('td', { class: 'num' }, formatSize(object.size)),
        typeCell,
        h('td', {}, formatTime(object.modified)),
        h('td', { class: 'row-actions' },
          can.read ? h('a', { class: 'button small', href: objectPath(bucket, object.key), download: baseName(object.key), 'aria-label': `Download ${name}` }, 'Download') : null,
          can.read ? h('button', { type: 'button', class: 'small', 'aria-label': `Share ${name}`, onclick: () => void openShareDialog(page, bucket, object.key) }, 'Share') : null,
          can.delete ? h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete ${name}`, onclick: () => void remove(object.key) }, 'Delete') : null)));
      fillType(typeCell, bucket, object.key);
    }
    if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, search ? `Nothing here starts with “${search}”.` : can.write ? 'This folder is empty: drop files above to upload.' : 'This folder is empty.')));
    replace(tableBody, ...rows);
    syncSelection();
    const pageNumber = tokens.length;
    replace(pager,
      h('button', { type: 'button', disabled: pageNumber === 1, onclick: () => { tokens.pop(); void load(); } }, '← Previous'),
      h('span', { 'aria-live': 'polite' }, `Page ${pageNumber}`),
      h('button', { type: 'button', disabled: listing.nextToken === undefined, onclick: () => { tokens.push(listing.nextToken); void load(); } }, 'Next →'),
      h('label', { class: 'page-size' }, 'Per page ', sizeSelect));
  };
  const showError = (error: unknown) => replace(problem, alertBox(error instanceof Error ? error.message : String(error)));

  const remove = async (key: string) => {
    if (!(await confirmDialog('Delete object', `Delete “${key}” from ${bucket}? This cannot be undone.`, 'Delete object'))) return;
    try {
      await deleteObject(bucket, key);
      announce(`${key} deleted`);
      await load();
    } catch (error) {
      showError(error);
    }
  };
  const removeSelected = async () => {
    const keys = [...selected];
    if (!(await confirmDialog('Delete objects', `Delete ${keys.length} object${keys.length === 1 ? '' : 's'} from ${bucket}? This cannot be undone.`, `Delete ${keys.length}`))) return;
    try {
      const failed = await deleteObjects(bucket, keys);
      announce(`${keys.length - failed.length} deleted`);
      await load();
      if (failed.length > 0) showError(`Not deleted: ${failed.map((f) => `${f.key}: ${f.reason}`).join('; ')}`);
    } catch (error) {
      showError(error);
    }
  };
  /** One by one, as separate downloads: a browser has no way to save several files in one go without a zip. */
  const downloadAll = () => {
    const keys = [...selected];
    keys.forEach((key, i) => setTimeout(() => {
      const a = h('a', { href: objectPath(bucket, key), download: baseName(key), hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
    }, i * 300));
    announce(`Downloading ${keys.length} file${keys.length === 1 ? '' : 's'}`);
  };
  selectAll.addEventListener('change', () => {
    for (const box of tableBody.querySelectorAll<HTMLInputElement>('input.pick')) {
      box.checked = selectAll.checked;
      box.dispatchEvent(new Event('change'));
    }
  });

  let reloadSoon: ReturnType<typeof setTimeout> | undefined;
  const queue = uploadQueue(bucket, () => {
    clearTimeout(reloadSoon);
    reloadSoon = setTimeout(() => void load(), 100);
  });
  const enqueue = (files: readonly { file: File; path: string }[]) => queue.add(files.map(({ file, path }) => ({ file, key: folder + path, label: path })));

  const fileInput = h('input', { type: 'file', multiple: true, class: 'file-input', id: 'upload-files' });
  fileInput.addEventListener('change', () => {
    enqueue([...(fileInput.files ?? [])].map((file) => ({ file, path: file.name })));
    fileInput.value = '';
  });
  const folderInput = h('input', { type: 'file', multiple: true, class: 'file-input', id: 'upload-folder', webkitdirectory: true });
  folderInput.addEventListener('change', () => {
    enqueue([...(folderInput.files ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name })));
    folderInput.value = '';
  });
  const drop = h('div', { class: 'dropzone' },
    fileInput,
    h('label', { for: 'upload-files' }, h('strong', {}, 'Choose files'), ' or drop files or folders here to upload to ', h('code', {}, `${bucket}/${folder}`)),
    folderInput, ' · ', h('label', { for: 'upload-folder' }, h('strong', {}, 'Choose a folder')));
  dropZone(drop, (data) => {
    droppedFiles(data).then(enqueue, showError);
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

  const readOnlyNote = 'You may not upload to this folder.';
  const table = h('table', {}, h('caption', { class: 'sr-only' }, `Contents of ${bucket}/${folder}`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'pick-cell' }, selectAll), ...['Name', 'Size', 'Type', 'Modified'].map((t) => h('th', { scope: 'col' }, t)), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
    tableBody);
  replace(main,
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' }, crumbs),
    h('div', { class: 'title-row' }, h('h1', {}, folder === '' ? bucket : baseName(folder)),
      h('div', { class: 'title-actions' },
        can.write ? h('button', { type: 'button', onclick: () => void newFolder(page, bucket, folder) }, 'New folder') : null,
        can.write
          ? h('button', { type: 'button', onclick: () => void openUploadLinkDialog(page, bucket, folder) }, 'Create upload link')
          : h('button', { type: 'button', disabled: true, title: readOnlyNote, 'aria-describedby': 'read-only-note' }, 'Create upload link'),
        can.bucketSettings && folder === '' ? h('a', { class: 'button', href: `#/settings/${encodeURIComponent(bucket)}` }, 'Bucket settings') : null)),
    can.write ? drop : h('p', { class: 'notice', id: 'read-only-note' }, `${readOnlyNote} You can browse${can.read ? ', download and share' : ''} what is here.`),
    queue.element, h('div', { class: 'toolbar' }, searchForm, can.read || can.delete ? selectionBar : null), problem, h('div', { class: 'table-wrap' }, table), pager);
  await load();
}

async function newFolder(page: Page, bucket: string, folder: string): Promise<void> {
  await openDialog('New folder', (body, close) => {
    const name = h('input', { name: 'folder', required: true, spellcheck: 'false', autocapitalize: 'off', pattern: '[^/]+' });
    const problem = h('div');
    const form = h('form', {}, field('Folder name', name, `Created in ${bucket}/${folder}. No slashes.`), problem,
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: close }, 'Cancel'), h('button', { type: 'submit', class: 'primary' }, 'Create folder')));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const prefix = `${folder}${name.value.trim()}/`;
      createFolder(bucket, prefix).then(() => {
        close();
        announce(`Folder ${prefix} created`);
        page.go(folderHash(bucket, prefix));
      }, (error: unknown) => replace(problem, alertBox(error instanceof Error ? error.message : String(error))));
    });
    body.append(form);
    queueMicrotask(() => name.focus());
  });
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
