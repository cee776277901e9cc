import { alertBox, announce, h, replace } from './dom.js';
import type { Page } from './main.js';
import { objectPath, s3, S3Failure } from './s3.js';

const CORS_EXAMPLE = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>https://example.com</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

/** Reads a bucket sub-resource; its "not set" error becomes undefined. */
async function readSetting(bucket: string, sub: string, missing: string, what: string): Promise<string | undefined> {
  try {
    return await (await s3('GET', `${objectPath(bucket)}?${sub}`, what)).text();
  } catch (error) {
    if (error instanceof S3Failure && error.code === missing) return undefined;
    throw error;
  }
}

/** One editor (bucket policy or CORS rules): text, Save, Remove; S3's validation error shown under it. */
function editor(bucket: string, options: { sub: string; title: string; label: string; current: string | undefined; placeholder: string; contentType: string; hint: string }): HTMLElement {
  const id = `setting-${options.sub}`;
  const text = h('textarea', { id, name: options.sub, rows: 12, spellcheck: 'false', class: 'code-input' }, options.current ?? options.placeholder);
  const state = h('p', { class: 'muted' }, options.current === undefined ? 'None is set; the text below is an example.' : 'In force now.');
  const problem = h('div');
  const save = h('button', { type: 'submit', class: 'primary' }, `Save ${options.label}`);
  const removeButton = h('button', { type: 'button', class: 'danger', disabled: options.current === undefined }, `Remove ${options.label}`);
  const form = h('form', { class: 'card setting', 'aria-label': options.title },
    h('h2', {}, options.title), h('p', { class: 'hint' }, options.hint), state,
    h('div', { class: 'field' }, h('label', { for: id }, options.title), text),
    problem, h('div', { class: 'actions' }, removeButton, save));
  const failed = (error: unknown) => replace(problem, alertBox(error instanceof Error ? error.message : String(error)));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    replace(problem);
    s3('PUT', `${objectPath(bucket)}?${options.sub}`, `save the ${options.label}`, { body: text.value, headers: { 'content-type': options.contentType } }).then(() => {
      state.textContent = 'Saved: in force now.';
      removeButton.disabled = false;
      announce(`${options.label} saved`);
    }, failed);
  });
  removeButton.addEventListener('click', () => {
    replace(problem);
    s3('DELETE', `${objectPath(bucket)}?${options.sub}`, `remove the ${options.label}`).then(() => {
      state.textContent = 'Removed: none is set.';
      removeButton.disabled = true;
      announce(`${options.label} removed`);
    }, failed);
  });
  return form;
}

/** A bucket's policy and CORS rules, read and written with S3's own calls, so S3's validation speaks. */
export async function renderBucketSettings(page: Page, bucket: string): Promise<void> {
  const [policy, cors] = await Promise.all([
    readSetting(bucket, 'policy', 'NoSuchBucketPolicy', `read the policy of ${bucket}`),
    readSetting(bucket, 'cors', 'NoSuchCORSConfiguration', `read the CORS rules of ${bucket}`),
  ]);
  const example = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/public/*` }],
  }, null, 2);
  const pretty = policy === undefined ? undefined : (() => {
    try {
      return JSON.stringify(JSON.parse(policy), null, 2);
    } catch {
      return policy;
    }
  })();
  replace(page.main,
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' }, h('ol', {}, h('li', {}, h('a', { href: '#/buckets' }, 'Buckets')), h('li', {}, h('a', { href: `#/b/${encodeURIComponent(bucket)}/` }, bucket)), h('li', {}, h('span', { 'aria-current': 'page' }, 'Settings')))),
    h('h1', {}, `Settings of ${bucket}`),
    editor(bucket, { sub: 'policy', title: 'Bucket policy', label: 'bucket policy', current: pretty, placeholder: example, contentType: 'application/json', hint: 'A JSON policy document that grants or denies access to this bucket, for example public read of a prefix.' }),
    editor(bucket, { sub: 'cors', title: 'CORS rules', label: 'CORS rules', current: cors, placeholder: CORS_EXAMPLE, contentType: 'application/xml', hint: 'Which web sites may call this bucket from a browser (S3\u2019s CORSConfiguration XML).' }));
}
