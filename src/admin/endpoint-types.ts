import type { Identities } from '../identity/identities.js';
import type { LinkService } from '../links/link-service.js';
import type { IdentityStore } from '../storage/identity-store.js';

/** The shape of one admin API endpoint: what it answers, what it needs, who may call it. */
export interface AdminRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: ReadonlyMap<string, string>;
  /** Parsed JSON body (undefined when empty). */
  readonly body: unknown;
  readonly bodyText: string;
}

export interface AdminResponse {
  readonly status: number;
  readonly body?: unknown;
}

export interface AdminEndpoint {
  readonly method: string;
  /** Path below /_latchkey/admin/v1, with {name} parameters. */
  readonly path: string;
  /** The IAM action a non-root signer needs. */
  readonly action: string;
  readonly resource: (params: Readonly<Record<string, string>>) => string;
  readonly run: (req: AdminRequest, deps: AdminDeps) => Promise<AdminResponse>;
}

export interface AdminDeps {
  readonly store: IdentityStore;
  readonly identities: Identities;
  /** Pre-signed link revocation and audit (absent: those endpoints answer NotFound). */
  readonly links?: LinkService;
}
