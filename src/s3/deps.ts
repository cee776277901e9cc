import type { IdentityStore } from '../storage/identity-store.js';
import type { MetadataStore } from '../storage/metadata-store.js';
import type { Storage } from '../storage/storage.js';
import type { Authorizer } from './authorize.js';

export interface OperationDeps {
  readonly region: string;
  readonly now: () => number;
  readonly authorizer: Authorizer;
}

/** What S3 operations are given: storage and the server's settings. */
export interface S3Deps extends OperationDeps {
  readonly storage: Storage;
  readonly metadata: MetadataStore;
  readonly identities: IdentityStore;
}
