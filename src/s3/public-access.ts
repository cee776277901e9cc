import { isPublic, type PolicyDocument } from '../iam/index.js';
import type { IdentityStore } from '../storage/identity-store.js';

/**
 * RestrictPublicBuckets is on and the bucket's policy is public: S3 then lets
 * only the bucket owner's account use the policy, so it grants anonymous
 * requests nothing. Every signed principal here is of that one account.
 */
export async function publicPolicyRestricted(identities: IdentityStore, bucket: string, policy: PolicyDocument): Promise<boolean> {
  return isPublic(policy) && (await identities.getPublicAccessBlock(bucket))?.restrictPublicBuckets === true;
}
