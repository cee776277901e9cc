import { ApiError, currentSession, setSignedOutHandler, signOut, type SessionInfo } from './api.js';
import { announce, h, replace } from './dom.js';
import { renderBuckets } from './buckets.js';
import { renderLinks } from './links.js';
import { renderObjects } from './objects.js';
import { renderSignIn } from './signin.js';

/** The console's pages, by URL hash: #/buckets, #/b/BUCKET/PREFIX, #/links; sign-in when there is no session. */
const main = document.getElementById('main') as HTMLElement;
const top = document.getElementById('top') as HTMLElement;
let session: SessionInfo | undefined;

export interface Page {
  readonly session: SessionInfo;
  readonly main: HTMLElement;
  /** Changes the hash (and so the page). */
  go(hash: string): void;
}

function showSignIn(message?: string): void {
  session = undefined;
  top.hidden = true;
  document.title = 'Sign in · Latchkey console';
  renderSignIn(main, message, (info) => {
    session = info;
    if (location.hash === '' || location.hash === '#/signin') location.hash = '#/buckets';
    else void render();
  });
}

function renderHeader(info: SessionInfo, active: string): void {
  top.hidden = false;
  const nav = (hash: string, label: string, name: string) => h('a', { href: hash, 'aria-current': active === name ? 'page' : undefined }, label);
  replace(
    top,
    h('a', { class: 'brand', href: '#/buckets' }, 'Latchkey'),
    h('nav', { 'aria-label': 'Main' }, nav('#/buckets', 'Buckets', 'buckets'), nav('#/links', 'Links', 'links')),
    h('div', { class: 'who' },
      h('span', { class: 'user', title: `Session ends ${new Date(info.expiresAt).toLocaleString()}` }, `Signed in as ${info.user}`),
      h('button', {
        type: 'button',
        class: 'ghost',
        onclick: () => {
          void signOut().finally(() => {
            announce('Signed out');
            showSignIn('You have signed out.');
          });
        },
      }, 'Sign out')),
  );
}

async function render(): Promise<void> {
  if (session === undefined) {
    try {
      session = await currentSession();
    } catch (error) {
      replace(main, h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error)));
      return;
    }
  }
  if (session === undefined) return showSignIn();
  const hash = location.hash || '#/buckets';
  const page: Page = { session, main, go: (next) => (location.hash = next) };
  const objectRoute = /^#\/b\/([^/]+)(?:\/(.*))?$/.exec(hash);
  try {
    if (objectRoute) {
      renderHeader(session, 'buckets');
      await renderObjects(page, decodeURIComponent(objectRoute[1] ?? ''), decodeURIComponent(objectRoute[2] ?? ''));
    } else if (hash === '#/links') {
      renderHeader(session, 'links');
      document.title = 'Links · Latchkey console';
      await renderLinks(page);
    } else {
      renderHeader(session, 'buckets');
      document.title = 'Buckets · Latchkey console';
      await renderBuckets(page);
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showSignIn('Your session has ended. Sign in again.');
    replace(main, h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error)));
  }
}

setSignedOutHandler(() => showSignIn('Your session has ended. Sign in again.'));
window.addEventListener('hashchange', () => void render());
void render();
