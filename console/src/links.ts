import { apiJson } from './api.js';
import { alertBox, announce, confirmDialog, h, replace, type Child } from './dom.js';
import { formatTime } from './format.js';
import type { Page } from './main.js';

interface LinkView {
  readonly id: string;
  readonly kind: 'download' | 'upload-object' | 'upload-prefix';
  readonly bucket: string;
  readonly key: string;
  readonly issuer: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly maxUses: number | null;
  readonly status: 'active' | 'expired' | 'revoked';
  readonly usage: { readonly uses: number; readonly lastUsedAt: string | null; readonly lastFrom: string | null } | null;
}

const KIND_LABELS = { download: 'Download', 'upload-object': 'Upload (one key)', 'upload-prefix': 'Upload (prefix)' } as const;

/** Links issued from this console, their use, and one-click revocation. */
export async function renderLinks(page: Page): Promise<void> {
  const problem = h('div', { class: 'problem' });
  const tableBody = h('tbody');
  const note = h('p', { class: 'muted' });
  const load = async () => {
    const { links, revocation } = await apiJson<{ links: LinkView[]; revocation: boolean }>('GET', '/api/links');
    note.textContent = revocation ? '' : 'This server keeps no link audit log and cannot revoke links.';
    replace(tableBody, ...links.map((link) => h('tr', { 'data-link': link.id },
      h('th', { scope: 'row' }, h('code', { class: 'key-path' }, ...wrapAtSlashes(`${link.bucket}/${link.key}`))),
      h('td', {}, KIND_LABELS[link.kind], link.maxUses === 1 ? ' · one-time' : ''),
      page.session.kind === 'root' ? h('td', {}, link.issuer) : null,
      h('td', {}, formatTime(link.createdAt)),
      h('td', {}, formatTime(link.expiresAt)),
      h('td', {}, h('span', { class: `badge ${link.status}` }, link.status)),
      h('td', { class: 'num' }, link.usage ? String(link.usage.uses) : '—'),
      h('td', {}, formatTime(link.usage?.lastUsedAt)),
      h('td', {}, link.usage?.lastFrom ?? '—'),
      h('td', { class: 'row-actions' }, link.status === 'active' && revocation
        ? h('button', { type: 'button', class: 'small danger', 'aria-label': `Revoke link to ${link.bucket}/${link.key}`, onclick: () => void revoke(link) }, 'Revoke')
        : null))));
    if (links.length === 0) replace(tableBody, h('tr', {}, h('td', { colspan: 10, class: 'muted' }, 'No links yet: share an object from its folder.')));
  };
  const revoke = async (link: LinkView) => {
    replace(problem);
    const what = `${KIND_LABELS[link.kind].toLowerCase()} link to ${link.bucket}/${link.key}`;
    if (!(await confirmDialog('Revoke link', `Revoke this ${what}? Whoever holds it can no longer use it. This cannot be undone.`, 'Revoke link'))) return;
    try {
      await apiJson('POST', `/api/links/${encodeURIComponent(link.id)}/revoke`);
      announce(`Link to ${link.bucket}/${link.key} revoked`);
      await load();
    } catch (error) {
      replace(problem, alertBox(error instanceof Error ? error.message : String(error)));
    }
  };
  const headings = ['Object', 'Kind', ...(page.session.kind === 'root' ? ['Issued by'] : []), 'Created', 'Expires', 'Status', 'Uses', 'Last use', 'From'];
  replace(page.main,
    h('div', { class: 'title-row' }, h('h1', {}, 'Links'), h('button', { type: 'button', onclick: () => void load().catch(show) }, 'Refresh')),
    note, problem,
    h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'sr-only' }, 'Links issued from the console'),
      h('thead', {}, h('tr', {}, ...headings.map((t) => h('th', { scope: 'col' }, t)), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      tableBody)));
  const show = (error: unknown) => replace(problem, alertBox(error instanceof Error ? error.message : String(error)));
  await load();
}

/** A key with a line-break opportunity after each "/", so long keys wrap between folders rather than mid-name. */
function wrapAtSlashes(path: string): Child[] {
  return path.split('/').flatMap((part, i, all) => (i < all.length - 1 ? [`${part}/`, h('wbr')] : [part]));
}
