import { admin, type AccessKeyView, type PolicyView, type UserView } from './admin.js';
import { alertBox, announce, append, confirmDialog, field, h, openDialog, replace } from './dom.js';
import { formatTime } from './format.js';
import type { Page } from './main.js';

/** Users, their access keys (the secret shown once) and attached policies, over the admin API. */
export async function renderUsers(page: Page): Promise<void> {
  const problem = h('div', { class: 'problem' });
  const list = h('div', { class: 'user-list' });
  const show = (error: unknown) => replace(problem, alertBox(error instanceof Error ? error.message : String(error)));
  const act = (work: () => Promise<unknown>, done: string) => () => {
    replace(problem);
    work().then(() => {
      announce(done);
      return load();
    }).catch(show);
  };

  const load = async () => {
    const [{ users }, { accessKeys }, { policies }] = await Promise.all([
      admin<{ users: UserView[] }>('GET', '/users', 'list users'),
      admin<{ accessKeys: AccessKeyView[] }>('GET', '/access-keys', 'list access keys'),
      admin<{ policies: PolicyView[] }>('GET', '/policies', 'list policies'),
    ]);
    if (users.length === 0) {
      replace(list, h('p', { class: 'muted' }, 'No users yet: create one above.'));
      return;
    }
    replace(list, ...users.map((user) => {
      const keys = accessKeys.filter((k) => k.userName === user.name);
      const u = encodeURIComponent(user.name);
      const attachable = policies.filter((p) => !user.policies.includes(p.name));
      const policySelect = h('select', { name: 'policy', 'aria-label': `Policy to attach to ${user.name}` }, ...attachable.map((p) => h('option', { value: p.name }, p.name)));
      return h('section', { class: 'card user-card', 'aria-label': `User ${user.name}` },
        h('div', { class: 'title-row' }, h('h2', {}, user.name, ' ', h('span', { class: `badge ${user.status === 'active' ? 'active' : 'revoked'}` }, user.status)),
          h('div', { class: 'title-actions' },
            h('button', { type: 'button', class: 'small', onclick: act(() => admin('POST', `/users/${u}/${user.status === 'active' ? 'disable' : 'enable'}`, `${user.status === 'active' ? 'disable' : 'enable'} ${user.name}`), `${user.name} updated`) },
              user.status === 'active' ? `Disable ${user.name}` : `Enable ${user.name}`),
            h('button', { type: 'button', class: 'small danger', onclick: () => void confirmDialog('Delete user', `Delete the user “${user.name}”, their access keys and every link they signed? This cannot be undone.`, 'Delete user')
              .then((yes) => yes && act(() => admin('DELETE', `/users/${u}`, `delete ${user.name}`), `${user.name} deleted`)()) }, `Delete ${user.name}`))),
        h('p', { class: 'muted' }, `Created ${formatTime(user.createdAt)}`),
        h('h3', {}, 'Access keys'),
        keys.length === 0 ? h('p', { class: 'muted' }, 'No access keys.') : h('ul', { class: 'plain-list' }, ...keys.map((key) => h('li', {},
          h('code', {}, key.accessKeyId), ' ', h('span', { class: `badge ${key.status === 'active' ? 'active' : 'expired'}` }, key.status),
          ` last used ${formatTime(key.lastUsedAt)} `,
          h('button', { type: 'button', class: 'small', onclick: act(() => admin('POST', `/access-keys/${key.accessKeyId}/${key.status === 'active' ? 'disable' : 'enable'}`, `update key ${key.accessKeyId}`), `Key ${key.accessKeyId} updated`) },
            key.status === 'active' ? `Disable key ${key.accessKeyId}` : `Enable key ${key.accessKeyId}`),
          ' ',
          h('button', { type: 'button', class: 'small danger', onclick: () => void confirmDialog('Remove access key', `Remove the key ${key.accessKeyId}? Programs using it stop working, and links it signed stop working.`, 'Remove key')
            .then((yes) => yes && act(() => admin('DELETE', `/access-keys/${key.accessKeyId}`, `remove key ${key.accessKeyId}`), `Key ${key.accessKeyId} removed`)()) }, `Remove key ${key.accessKeyId}`)))),
        h('button', { type: 'button', class: 'small', onclick: () => void createKey(user.name).then(load, show) }, `Create access key for ${user.name}`),
        h('h3', {}, 'Policies'),
        user.policies.length === 0 ? h('p', { class: 'muted' }, 'No policies attached: this user may do nothing.') : h('ul', { class: 'plain-list' }, ...user.policies.map((name) => h('li', {}, h('code', {}, name), ' ',
          h('button', { type: 'button', class: 'small', onclick: act(() => admin('DELETE', `/users/${u}/policies/${encodeURIComponent(name)}`, `detach ${name}`), `${name} detached from ${user.name}`) }, `Detach ${name} from ${user.name}`)))),
        attachable.length === 0 ? null : h('div', { class: 'inline-form' }, policySelect,
          h('button', { type: 'button', class: 'small', onclick: () => act(() => admin('PUT', `/users/${u}/policies/${encodeURIComponent(policySelect.value)}`, `attach ${policySelect.value}`), `${policySelect.value} attached to ${user.name}`)() }, `Attach to ${user.name}`)));
    }));
  };

  const name = h('input', { name: 'userName', required: true, spellcheck: 'false', autocapitalize: 'off', maxlength: 64 });
  const create = h('form', { class: 'inline-form', 'aria-label': 'Create a user' }, field('New user name', name, '1 to 64 of A-Z a-z 0-9 + = , . @ _ -'), h('button', { type: 'submit', class: 'primary' }, 'Create user'));
  create.addEventListener('submit', (event) => {
    event.preventDefault();
    act(() => admin('POST', '/users', `create ${name.value}`, JSON.stringify({ name: name.value.trim() })).then(() => (name.value = '')), 'User created')();
  });
  replace(page.main, h('h1', {}, 'Users'), create, problem, list);
  await load();
}

/** Creates a key and shows its secret once, in a dialog the person closes when they have copied it. */
async function createKey(user: string): Promise<void> {
  const created = await admin<{ accessKey: AccessKeyView; secretAccessKey: string }>('POST', `/users/${encodeURIComponent(user)}/access-keys`, `create a key for ${user}`);
  await openDialog('New access key', (body, close) => {
    const done = h('button', { type: 'button', class: 'primary', onclick: close }, 'I have copied the secret');
    append(body,
      h('p', { class: 'notice' }, 'This is the only time the secret is shown. Copy it now; it cannot be shown again (create a new key if it is lost).'),
      h('dl', { class: 'details' },
        h('dt', {}, 'User'), h('dd', {}, user),
        h('dt', {}, 'Access key ID'), h('dd', {}, h('code', { class: 'new-key-id' }, created.accessKey.accessKeyId)),
        h('dt', {}, 'Secret access key'), h('dd', {}, h('code', { class: 'new-key-secret' }, created.secretAccessKey))),
      h('div', { class: 'actions' }, done));
    queueMicrotask(() => done.focus());
  });
}
