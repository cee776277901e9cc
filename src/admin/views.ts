import type { AccessKeyRecord, PolicyRecord, UserRecord } from '../storage/identity-store.js';

/** The JSON shapes of docs/admin-api.md. Secrets never appear here. */
export function userView(user: UserRecord) {
  return { name: user.name, status: user.status, createdAt: user.createdAt.toISOString(), policies: [...user.policies] };
}

export function accessKeyView(key: AccessKeyRecord) {
  return {
    accessKeyId: key.accessKeyId,
    userName: key.userName,
    status: key.status,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}

export function policyView(policy: PolicyRecord) {
  return {
    name: policy.name,
    document: JSON.parse(policy.document) as unknown,
    attachedTo: [...policy.attachedTo],
    createdAt: policy.createdAt.toISOString(),
    updatedAt: policy.updatedAt.toISOString(),
  };
}
