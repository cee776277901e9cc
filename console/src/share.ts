import { apiJson } from './api.js';
import { alertBox, append, field, h, openDialog, replace, uid } from './dom.js';
import { formatDuration } from './format.js';
import type { Page } from './main.js';

interface Issued {
  readonly id: string;
  readonly url: string;
  readonly expiresAt: string;
  readonly fields?: Record<string, string>;
  readonly headers?: Record<string, string>;
  /** Upload links: the recipient's page, which is what to send to a person. */
  readonly page?: string;
}

const PRESETS: readonly [string, number][] = [
  ['15 minutes', 900],
  ['1 hour', 3600],
  ['4 hours', 4 * 3600],
  ['12 hours (the longest)', 12 * 3600],
];

/** An expiry picker: presets, or a custom number of minutes or hours. Its value is in seconds. */
function expiryPicker(maxSeconds: number): { element: HTMLElement; seconds(): number } {
  const preset = h('select', { name: 'expiry' }, ...PRESETS.map(([label, s]) => h('option', { value: s, selected: s === 3600 }, label)), h('option', { value: 'custom' }, 'Custom…'));
  const amount = h('input', { type: 'number', name: 'customAmount', min: 1, step: 1, value: 2, inputmode: 'numeric' });
  const unit = h('select', { name: 'customUnit' }, h('option', { value: 60 }, 'minutes'), h('option', { value: 3600, selected: true }, 'hours'));
  const custom = h('div', { class: 'custom-expiry', hidden: true }, field('Custom length', amount), field('Unit', unit));
  preset.addEventListener('change', () => (custom.hidden = preset.value !== 'custom'));
  return {
    element: h('fieldset', {}, h('legend', {}, `Link works for (at most ${formatDuration(maxSeconds)})`), field('Expires after', preset), custom),
    seconds: () => (preset.value === 'custom' ? Math.round(Number(amount.value) * Number(unit.value)) : Number(preset.value)),
  };
}

/** A link form's submit: one request at a time, its result or its error shown below the form. */
function onIssue(form: HTMLFormElement, submit: HTMLButtonElement, output: HTMLElement, issue: () => Promise<HTMLElement>): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    replace(output);
    issue()
      .then((result) => append(output, result))
      .catch((error: unknown) => append(output, alertBox(error instanceof Error ? error.message : String(error))))
      .finally(() => (submit.disabled = false));
  });
}

function linkResult(issued: Issued, extra?: HTMLElement | null): HTMLElement {
  const linkId = uid('link');
  const url = issued.page ?? issued.url;
  const input = h('input', { id: linkId, readonly: true, value: url, class: 'link-output', spellcheck: 'false' });
  const copied = h('span', { class: 'copied', role: 'status' });
  const copy = h('button', {
    type: 'button',
    class: 'primary',
    onclick: () => {
      input.select();
      navigator.clipboard.writeText(url).then(
        () => (copied.textContent = 'Copied'),
        () => (copied.textContent = 'Press Ctrl+C to copy the selected link'),
      );
    },
  }, 'Copy link');
  const expires = new Date(issued.expiresAt);
  return h('div', { class: 'result' },
    h('label', { for: linkId }, 'Link'),
    issued.page ? h('p', { class: 'hint' }, 'Send this link: it opens a page where the person picks a file and sees its progress. No account needed.') : null,
    h('div', { class: 'copy-row' }, input, copy, copied),
    h('p', { class: 'expiry' }, 'Expires ', h('time', { datetime: issued.expiresAt }, expires.toLocaleString()), ` (${issued.expiresAt})`),
    extra ?? null);
}

/** A download link to the object, or to one version of it (which the link keeps reaching when newer versions are written). */
export function openShareDialog(page: Page, bucket: string, key: string, versionId?: string): Promise<void> {
  return openDialog(`Share ${key.slice(key.lastIndexOf('/') + 1)}${versionId === undefined ? '' : ' (an older version)'}`, (body) => {
    const expiry = expiryPicker(page.session.maxLinkSeconds);
    const oneTime = h('input', { type: 'checkbox', name: 'oneTime', id: uid('once') });
    const downloadName = h('input', { name: 'downloadName', spellcheck: 'false', placeholder: key.slice(key.lastIndexOf('/') + 1) });
    const output = h('div', { class: 'output' });
    const submit = h('button', { type: 'submit', class: 'primary' }, 'Create link');
    const form = h('form', { class: 'share' },
      h('p', { class: 'muted' }, 'Anyone with the link can download ', h('code', {}, `${bucket}/${key}`),
        versionId === undefined ? null : h('span', {}, ' as it was in version ', h('code', {}, versionId)),
        ' until it expires or is revoked. It is signed with your own key, so it stops working if you lose access.'),
      expiry.element,
      h('div', { class: 'check' }, oneTime, h('label', { for: oneTime.id }, 'One-time link (works for a single download)')),
      field('Download file name (optional)', downloadName, 'The name the browser saves the file under.'),
      h('div', { class: 'actions' }, submit),
      output);
    onIssue(form, submit, output, () =>
      apiJson<Issued>('POST', '/api/share', { bucket, key, versionId, expiresIn: expiry.seconds(), oneTime: oneTime.checked, downloadName: downloadName.value.trim() || undefined })
        .then((issued) => linkResult(issued)));
    append(body, form);
  });
}

export function openUploadLinkDialog(page: Page, bucket: string, folder: string): Promise<void> {
  return openDialog('Create upload link', (body) => {
    const name = uid('mode');
    const fixed = h('input', { type: 'radio', name, value: 'object', id: uid('r'), checked: true });
    const prefix = h('input', { type: 'radio', name, value: 'prefix', id: uid('r') });
    const key = h('input', { name: 'key', value: folder, spellcheck: 'false', required: true });
    const keyField = field('Object key', key, 'The exact key the upload is stored under.');
    const expiry = expiryPicker(page.session.maxLinkSeconds);
    const contentType = h('input', { name: 'contentType', placeholder: 'e.g. image/png', spellcheck: 'false' });
    const maxSize = h('input', { type: 'number', name: 'maxSizeMiB', min: 1, step: 1, inputmode: 'numeric', disabled: true });
    const output = h('div', { class: 'output' });
    const submit = h('button', { type: 'submit', class: 'primary' }, 'Create upload link');
    const sync = () => {
      const isPrefix = prefix.checked;
      maxSize.disabled = !isPrefix;
      const label = keyField.querySelector('label');
      if (label) label.textContent = isPrefix ? 'Key prefix' : 'Object key';
      const hint = keyField.querySelector('.hint');
      if (hint) hint.textContent = isPrefix ? 'Uploads may use any name under this prefix (an upload form).' : 'The exact key the upload is stored under.';
    };
    fixed.addEventListener('change', sync);
    prefix.addEventListener('change', sync);
    const form = h('form', {},
      h('fieldset', {}, h('legend', {}, 'What may be uploaded'),
        h('div', { class: 'check' }, fixed, h('label', { for: fixed.id }, 'One object with a fixed key (a pre-signed PUT)')),
        h('div', { class: 'check' }, prefix, h('label', { for: prefix.id }, 'Any file under a key prefix (a POST form)'))),
      keyField,
      expiry.element,
      field('Content type (optional)', contentType, 'The upload must carry exactly this type.'),
      field('Size limit in MiB (optional, prefix uploads only)', maxSize),
      h('div', { class: 'actions' }, submit),
      output);
    onIssue(form, submit, output, () => {
      const mib = Number(maxSize.value);
      return apiJson<Issued>('POST', '/api/upload-links', {
        bucket,
        key: key.value,
        prefix: prefix.checked,
        expiresIn: expiry.seconds(),
        contentType: contentType.value.trim() || undefined,
        maxSize: prefix.checked && mib > 0 ? Math.round(mib * 1024 * 1024) : undefined,
      }).then((issued) => linkResult(issued, usage(issued)));
    });
    append(body, form);
  });
}

/** How the person receiving the link uploads with it, as a curl command. */
function usage(issued: Issued): HTMLElement {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = issued.fields
    ? `curl ${Object.entries(issued.fields).map(([k, v]) => `-F ${quote(`${k}=${v}`)}`).join(' ')} -F file=@FILE ${quote(issued.url)}`
    : `curl -T FILE ${Object.entries(issued.headers ?? {}).map(([k, v]) => `-H ${quote(`${k}: ${v}`)}`).join(' ')} ${quote(issued.url)}`.replace(/ {2,}/g, ' ');
  return h('details', {}, h('summary', {}, 'Upload from a script instead'), h('pre', {}, command));
}
