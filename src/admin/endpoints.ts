import { parsePolicy, isPolicyError } from '../iam/index.js';
import { isValidName, policyArn, userArn } from '../identity/names.js';
import type { IdentityStore } from '../storage/identity-store.js';
import { AdminError } from './admin-error.js';
import type { AdminDeps, AdminEndpoint, AdminRequest, AdminResponse } from './endpoint-types.js';
import { LINK_ENDPOINTS } from './link-endpoints.js';
import { accessKeyView, policyView, userView } from './views.js';

export type { AdminDeps, AdminEndpoint, AdminRequest, AdminResponse } from './endpoint-types.js';

const ANY = () => '*';
const USER = (p: Readonly<Record<string, string>>) => userArn(p['name'] ?? '');
const POLICY = (p: Readonly<Record<string, string>>) => policyArn(p['name'] ?? '');

function validName(name: unknown, what: string): string {
  // A JSON number would pass the pattern test once coerced, and be stored as "42.0".
  if (typeof name !== 'string' || !isValidName(name)) throw new AdminError('InvalidInput', `${what} must be 1 to 64 characters of A-Z a-z 0-9 + = , . @ _ -`);
  if (name === 'root') throw new AdminError('InvalidInput', `${what} 'root' is reserved`);
  return name;
}

async function requireUser(store: IdentityStore, name: string) {
  const user = await store.getUser(name);
  if (user === null) throw new AdminError('NoSuchEntity', `The user with name ${name} cannot be found.`);
  return user;
}

async function requireKey(store: IdentityStore, id: string) {
  const key = await store.getAccessKey(id);
  if (key === null) throw new AdminError('NoSuchEntity', `The Access Key with id ${id} cannot be found.`);
  return key;
}

async function setUserStatus(req: AdminRequest, deps: AdminDeps, status: 'active' | 'disabled'): Promise<AdminResponse> {
  const name = req.params['name'] ?? '';
  if (!(await deps.store.setUserStatus(name, status))) throw new AdminError('NoSuchEntity', `The user with name ${name} cannot be found.`);
  return { status: 200, body: { user: userView(await requireUser(deps.store, name)) } };
}

async function setKeyStatus(req: AdminRequest, deps: AdminDeps, status: 'active' | 'inactive'): Promise<AdminResponse> {
  const id = req.params['id'] ?? '';
  if (!(await deps.store.setAccessKeyStatus(id, status))) throw new AdminError('NoSuchEntity', `The Access Key with id ${id} cannot be found.`);
  return { status: 200, body: { accessKey: accessKeyView(await requireKey(deps.store, id)) } };
}

/** The admin API as data: method + path → IAM action + code (docs/admin-api.md). */
export const ADMIN_ENDPOINTS: readonly AdminEndpoint[] = [
  {
    method: 'POST', path: '/users', action: 'iam:CreateUser', resource: ANY,
    run: async (req, { store }) => {
      const name = validName((req.body as { name?: unknown } | undefined)?.name, 'name');
      if ((await store.createUser(name)) === 'exists') throw new AdminError('EntityAlreadyExists', `User with name ${name} already exists.`);
      return { status: 201, body: { user: userView(await requireUser(store, name)) } };
    },
  },
  { method: 'GET', path: '/users', action: 'iam:ListUsers', resource: ANY, run: async (_req, { store }) => ({ status: 200, body: { users: (await store.listUsers()).map(userView) } }) },
  {
    method: 'GET', path: '/users/{name}', action: 'iam:GetUser', resource: USER,
    run: async (req, { store }) => {
      const user = await requireUser(store, req.params['name'] ?? '');
      return { status: 200, body: { user: userView(user), accessKeys: (await store.listAccessKeys(user.name)).map(accessKeyView) } };
    },
  },
  {
    method: 'DELETE', path: '/users/{name}', action: 'iam:DeleteUser', resource: USER,
    run: async (req, { store }) => {
      if (!(await store.deleteUser(req.params['name'] ?? ''))) throw new AdminError('NoSuchEntity', `The user with name ${req.params['name']} cannot be found.`);
      return { status: 204 };
    },
  },
  { method: 'POST', path: '/users/{name}/enable', action: 'iam:UpdateUser', resource: USER, run: (req, deps) => setUserStatus(req, deps, 'active') },
  { method: 'POST', path: '/users/{name}/disable', action: 'iam:UpdateUser', resource: USER, run: (req, deps) => setUserStatus(req, deps, 'disabled') },
  {
    method: 'POST', path: '/users/{name}/access-keys', action: 'iam:CreateAccessKey', resource: USER,
    run: async (req, { store, identities }) => {
      const name = req.params['name'] ?? '';
      const created = await identities.createAccessKey(name);
      if (created.result === 'no-such-user') throw new AdminError('NoSuchEntity', `The user with name ${name} cannot be found.`);
      if (created.result === 'limit-reached') throw new AdminError('LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2');
      return { status: 201, body: { accessKey: accessKeyView(await requireKey(store, created.accessKeyId)), secretAccessKey: created.secretAccessKey } };
    },
  },
  {
    method: 'GET', path: '/access-keys', action: 'iam:ListAccessKeys', resource: ANY,
    run: async (req, { store }) => {
      const user = req.query.get('user');
      if (user !== undefined) await requireUser(store, user);
      return { status: 200, body: { accessKeys: (await store.listAccessKeys(user)).map(accessKeyView) } };
    },
  },
  { method: 'POST', path: '/access-keys/{id}/enable', action: 'iam:UpdateAccessKey', resource: ANY, run: (req, deps) => setKeyStatus(req, deps, 'active') },
  { method: 'POST', path: '/access-keys/{id}/disable', action: 'iam:UpdateAccessKey', resource: ANY, run: (req, deps) => setKeyStatus(req, deps, 'inactive') },
  {
    method: 'DELETE', path: '/access-keys/{id}', action: 'iam:DeleteAccessKey', resource: ANY,
    run: async (req, { store }) => {
      if (!(await store.deleteAccessKey(req.params['id'] ?? ''))) throw new AdminError('NoSuchEntity', `The Access Key with id ${req.params['id']} cannot be found.`);
      return { status: 204 };
    },
  },
  {
    method: 'PUT', path: '/policies/{name}', action: 'iam:CreatePolicy', resource: POLICY,
    run: async (req, { store }) => {
      const name = validName(req.params['name'], 'policy name');
      try {
        parsePolicy(req.bodyText, { kind: 'identity' });
      } catch (e) {
        if (isPolicyError(e)) throw new AdminError('InvalidInput', e.message);
        throw e;
      }
      const outcome = await store.putPolicy(name, req.bodyText);
      const policy = await store.getPolicy(name);
      return { status: outcome === 'created' ? 201 : 200, body: { policy: policy && policyView(policy) } };
    },
  },
  { method: 'GET', path: '/policies', action: 'iam:ListPolicies', resource: ANY, run: async (_req, { store }) => ({ status: 200, body: { policies: (await store.listPolicies()).map(policyView) } }) },
  {
    method: 'GET', path: '/policies/{name}', action: 'iam:GetPolicy', resource: POLICY,
    run: async (req, { store }) => {
      const policy = await store.getPolicy(req.params['name'] ?? '');
      if (policy === null) throw new AdminError('NoSuchEntity', `Policy ${req.params['name']} was not found.`);
      return { status: 200, body: { policy: policyView(policy) } };
    },
  },
  {
    method: 'DELETE', path: '/policies/{name}', action: 'iam:DeletePolicy', resource: POLICY,
    run: async (req, { store }) => {
      const outcome = await store.deletePolicy(req.params['name'] ?? '');
      if (outcome === 'no-such-policy') throw new AdminError('NoSuchEntity', `Policy ${req.params['name']} was not found.`);
      if (outcome === 'attached') throw new AdminError('DeleteConflict', 'Cannot delete a policy attached to entities.');
      return { status: 204 };
    },
  },
  {
    method: 'PUT', path: '/users/{name}/policies/{policy}', action: 'iam:AttachUserPolicy', resource: USER,
    run: async (req, { store }) => {
      const outcome = await store.attachPolicy(req.params['name'] ?? '', req.params['policy'] ?? '');
      if (outcome === 'no-such-user') throw new AdminError('NoSuchEntity', `The user with name ${req.params['name']} cannot be found.`);
      if (outcome === 'no-such-policy') throw new AdminError('NoSuchEntity', `Policy ${req.params['policy']} was not found.`);
      return { status: 200, body: { user: userView(await requireUser(store, req.params['name'] ?? '')) } };
    },
  },
  {
    method: 'DELETE', path: '/users/{name}/policies/{policy}', action: 'iam:DetachUserPolicy', resource: USER,
    run: async (req, { store }) => {
      await requireUser(store, req.params['name'] ?? '');
      if (!(await store.detachPolicy(req.params['name'] ?? '', req.params['policy'] ?? ''))) {
        throw new AdminError('NoSuchEntity', `Policy ${req.params['policy']} is not attached to user ${req.params['name']}.`);
      }
      return { status: 204 };
    },
  },
  ...LINK_ENDPOINTS,
];
