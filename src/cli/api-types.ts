/** Shapes of the admin API's answers (docs/admin-api.md). */

export interface User {
  readonly name: string;
  readonly status: 'active' | 'disabled';
  readonly createdAt: string;
  readonly policies: readonly string[];
}

export interface AccessKey {
  readonly accessKeyId: string;
  readonly userName: string;
  readonly status: 'active' | 'inactive';
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

export interface Policy {
  readonly name: string;
  readonly document: unknown;
  readonly attachedTo: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A path segment for a user, policy, key id or bucket. */
export function segment(name: string): string {
  return encodeURIComponent(name);
}
