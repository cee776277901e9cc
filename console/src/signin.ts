import { signIn, type SessionInfo } from './api.js';
import { alertBox, field, h, replace } from './dom.js';

export function renderSignIn(main: HTMLElement, message: string | undefined, done: (info: SessionInfo) => void): void {
  const keyId = h('input', { name: 'accessKeyId', autocomplete: 'username', required: true, spellcheck: 'false', autocapitalize: 'off' });
  const secret = h('input', { name: 'secretAccessKey', type: 'password', autocomplete: 'current-password', required: true });
  const problem = h('div', { class: 'problem' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to Latchkey'),
    message ? h('p', { class: 'notice', role: 'status' }, message) : null,
    field('Access key ID', keyId),
    field('Secret access key', secret, 'Checked once by the server: the browser then holds only a temporary session (12 hours at most).'),
    problem,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    replace(problem);
    signIn(keyId.value.trim(), secret.value)
      .then((info) => {
        secret.value = '';
        done(info);
      })
      .catch((error: unknown) => {
        replace(problem, alertBox(error instanceof Error ? error.message : String(error)));
        secret.select();
      })
      .finally(() => (submit.disabled = false));
  });
  replace(main, form);
  keyId.focus();
}
