import { admin, type PolicyView } from './admin.js';
import { alertBox, announce, confirmDialog, field, h, replace } from './dom.js';
import { formatTime } from './format.js';
import type { Page } from './main.js';

const EXAMPLE = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::BUCKET/*'] }],
}, null, 2);

/** Policies: each document, where it is attached; create or replace one from JSON, with the admin API's validation shown. */
export async function renderPolicies(page: Page): Promise<void> {
  const problem = h('div', { class: 'problem' });
  const list = h('div');
  const load = async () => {
    const { policies } = await admin<{ policies: PolicyView[] }>('GET', '/policies', 'list policies');
    replace(list, ...(policies.length === 0 ? [h('p', { class: 'muted' }, 'No policies yet.')] : policies.map((policy) => h('section', { class: 'card user-card', 'aria-label': `Policy ${policy.name}` },
      h('div', { class: 'title-row' }, h('h2', {}, policy.name),
        h('button', { type: 'button', class: 'small danger', onclick: () => void remove(policy.name) }, `Delete ${policy.name}`)),
      h('p', { class: 'muted' }, policy.attachedTo.length === 0 ? 'Not attached to anyone.' : `Attached to ${policy.attachedTo.join(', ')}.`, ` Updated ${formatTime(policy.updatedAt)}.`),
      h('pre', { tabindex: 0, 'aria-label': `Document of ${policy.name}` }, JSON.stringify(policy.document, null, 2))))));
  };
  const remove = async (name: string) => {
    replace(problem);
    if (!(await confirmDialog('Delete policy', `Delete the policy “${name}”? Only a policy attached to no one can be deleted.`, 'Delete policy'))) return;
    try {
      await admin('DELETE', `/policies/${encodeURIComponent(name)}`, `delete ${name}`);
      announce(`${name} deleted`);
      await load();
    } catch (error) {
      replace(problem, alertBox(error instanceof Error ? error.message : String(error)));
    }
  };
  const name = h('input', { name: 'policyName', required: true, spellcheck: 'false', autocapitalize: 'off', maxlength: 64 });
  const documentText = h('textarea', { name: 'document', rows: 10, spellcheck: 'false', class: 'code-input', id: 'policy-document' }, EXAMPLE);
  const formProblem = h('div');
  const form = h('form', { class: 'card', 'aria-label': 'Create or replace a policy' },
    h('h2', {}, 'Create or replace a policy'),
    field('Policy name', name),
    h('div', { class: 'field' }, h('label', { for: 'policy-document' }, 'Policy document (JSON)'), documentText),
    formProblem,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save policy')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    replace(formProblem);
    const text = documentText.value;
    try {
      JSON.parse(text);
    } catch (error) {
      replace(formProblem, alertBox(`The document is not valid JSON: ${error instanceof Error ? error.message : String(error)}`));
      return;
    }
    admin('PUT', `/policies/${encodeURIComponent(name.value.trim())}`, `save ${name.value.trim()}`, text).then(async () => {
      announce(`${name.value.trim()} saved`);
      await load();
    }).catch((error: unknown) => replace(formProblem, alertBox(error instanceof Error ? error.message : String(error))));
  });
  replace(page.main, h('h1', {}, 'Policies'), problem, form, list);
  await load();
}
