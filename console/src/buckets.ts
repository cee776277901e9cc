import { apiJson } from './api.js';
import { alertBox, announce, confirmDialog, field, h, replace } from './dom.js';
import { formatTime } from './format.js';
import type { HomePermissions, Page } from './main.js';
import type { FolderPermissions } from './objects.js';
import { createBucket, deleteBucket, listBuckets } from './s3.js';

export async function renderBuckets(page: Page, can: HomePermissions): Promise<void> {
  const { main } = page;
  // Someone who may not list every bucket may still hold rights in one: they open it by name.
  const openName = h('input', { name: 'openBucket', required: true, spellcheck: 'false', autocapitalize: 'off' });
  const open = h('form', { class: 'inline-form', 'aria-label': 'Open a bucket by name' },
    field('Bucket name', openName, 'Open a bucket you have access to, even if you may not list all buckets.'),
    h('button', { type: 'submit' }, 'Open bucket'));
  open.addEventListener('submit', (event) => {
    event.preventDefault();
    page.go(`#/b/${encodeURIComponent(openName.value.trim())}/`);
  });
  const problem = h('div', { class: 'problem' });
  const name = h('input', { name: 'bucket', required: true, minlength: 3, maxlength: 63, pattern: '[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]', spellcheck: 'false', autocapitalize: 'off' });
  const create = h('form', { class: 'inline-form', 'aria-label': 'Create a bucket' },
    field('New bucket name', name, '3 to 63 lower-case letters, digits, dots and hyphens.'),
    h('button', { type: 'submit', class: 'primary' }, 'Create bucket'));
  const tableBody = h('tbody');
  const table = h('table', {}, h('caption', { class: 'sr-only' }, 'Buckets'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
    tableBody);

  const refresh = async () => {
    if (!can.listBuckets) {
      replace(tableBody, h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'You may not list all buckets. Open one by name above.')));
      return;
    }
    const buckets = await listBuckets();
    const rights = await Promise.all(buckets.map((b) => apiJson<FolderPermissions>('GET', `/api/permissions?${new URLSearchParams({ bucket: b.name }).toString()}`)));
    replace(tableBody, ...buckets.map((b, i) => h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: `#/b/${encodeURIComponent(b.name)}/` }, b.name)),
      h('td', {}, formatTime(b.created)),
      h('td', { class: 'row-actions' }, rights[i]?.deleteBucket
        ? h('button', { type: 'button', class: 'danger small', 'aria-label': `Delete bucket ${b.name}`, onclick: () => void remove(b.name) }, 'Delete')
        : null))));
    if (buckets.length === 0) replace(tableBody, h('tr', {}, h('td', { colspan: 3, class: 'muted' }, can.createBucket ? 'No buckets yet: create one above.' : 'No buckets yet.')));
  };
  const remove = async (bucket: string) => {
    replace(problem);
    if (!(await confirmDialog('Delete bucket', `Delete the bucket “${bucket}”? Only an empty bucket can be deleted; this cannot be undone.`, 'Delete bucket'))) return;
    try {
      await deleteBucket(bucket);
      announce(`Bucket ${bucket} deleted`);
      await refresh();
    } catch (error) {
      replace(problem, alertBox(error instanceof Error ? error.message : String(error)));
    }
  };
  create.addEventListener('submit', (event) => {
    event.preventDefault();
    replace(problem);
    const bucket = name.value.trim();
    createBucket(bucket)
      .then(async () => {
        name.value = '';
        announce(`Bucket ${bucket} created`);
        await refresh();
      })
      .catch((error: unknown) => replace(problem, alertBox(error instanceof Error ? error.message : String(error))));
  });
  replace(main, h('h1', {}, 'Buckets'), can.createBucket ? create : null, open, problem, h('div', { class: 'table-wrap' }, table));
  await refresh();
}
