import { ApiError, apiJson, currentSession, setSignedOutHandler, signOut, type SessionInfo } from './api.js';
import { announce, h, replace } from './dom.js';
import { renderBucketSettings } from './bucket-settings.js';
import { renderBuckets } from './buckets.js';
import { renderPolicies } from './policies.js';
import { renderUsers } from './users.js';
import { renderLinks } from './links.js';
import { renderObjects } from './objects.js';
import { renderSignIn } from './signin.js';

/** The console's pages, by URL hash: #/buckets, #/b/BUCKET/PREFIX, #/links; sign-in when there is no session. */
const main = document.getElementById('main') as HTMLElement;
const top = document.getElementById('top') as HTMLElement;
let session: SessionInfo | undefined;

/** What the signed-in person may do outside any bucket (GET /api/permissions). */
export interface HomePermissions {
  readonly listBuckets: boolean;
  readonly createBucket: boolean;
  readonly manageIdentities: boolean;
}

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

function renderHeader(info: SessionInfo, can: HomePermissions, active: string): void {
  top.hidden = false;
  const nav = (hash: string, label: string, name: string) => h('a', { href: hash, 'aria-current': active === name ? 'page' : undefined }, label);
  replace(
    top,
    h('a', { class: 'brand', href: '#/buckets' }, 'Latchkey'),
    h('nav', { 'aria-label': 'Main' }, nav('#/buckets', 'Buckets', 'buckets'), nav('#/links', 'Links', 'links'),
      can.manageIdentities ? nav('#/users', 'Users', 'users') : null, can.manageIdentities ? nav('#/policies', 'Policies', 'policies') : null),
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
  const settingsRoute = /^#\/settings\/([^/]+)$/.exec(hash);
  try {
    const can = await apiJson<HomePermissions>('GET', '/api/permissions');
    const titled = (active: string, title: string) => {
      renderHeader(session as SessionInfo, can, active);
      document.title = `${title} · Latchkey console`;
    };
    if (objectRoute) {
      renderHeader(session, can, 'buckets');
      await renderObjects(page, decodeURIComponent(objectRoute[1] ?? ''), decodeURIComponent(objectRoute[2] ?? ''));
    } else if (settingsRoute) {
      const bucket = decodeURIComponent(settingsRoute[1] ?? '');
      titled('buckets', `Settings of ${bucket}`);
      await renderBucketSettings(page, bucket);
    } else if (hash === '#/links') {
      titled('links', 'Links');
      await renderLinks(page);
    } else if (hash === '#/users' && can.manageIdentities) {
      titled('users', 'Users');
      await renderUsers(page);
    } else if (hash === '#/policies' && can.manageIdentities) {
      titled('policies', 'Policies');
      await renderPolicies(page);
    } else {
      titled('buckets', 'Buckets');
      await renderBuckets(page, can);
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showSignIn('Your session has ended. Sign in again.');
    replace(main, h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error)));
  }
}

setSignedOutHandler(() => showSignIn('Your session has ended. Sign in again.'));
window.addEventListener('hashchange', () => void render());
void render();
