import { LRUCache } from 'lru-cache';
import { S3Error } from '../errors.js';
import {
  evaluate, EXISTING_OBJECT_TAG_ACTIONS, existingObjectTagConditions, mentionsExistingObjectTag, parsePolicy, REQUEST_OBJECT_TAG_ACTIONS,
  requestObjectTagConditions, type ConditionValue, type PolicyDocument, type RequestPrincipal,
} from '../iam/index.js';
import type { ObjectTags } from '../storage/types.js';
import type { IdentityStore } from '../storage/identity-store.js';
import type { Authenticated } from './auth.js';
import type { Principal } from '../identity/identities.js';
import type { RequestContext } from './context.js';
import { tagsIfValid, tagsOfHeader } from './tagging.js';

/** The tags of the object an ARN names; null when it does not exist. */
export type ObjectTagsLookup = (bucket: string, key: string) => Promise<ObjectTags | null>;

const OBJECT_ARN_PREFIX = 'arn:aws:s3:::';
import { publicPolicyRestricted } from './public-access.js';

/** Who signed and how (the authenticate stage's output); a form upload's credentials carry its form (S3's "POST" auth type). */
type Signed = Authenticated & { readonly form?: object | undefined };

/**
 * Parsed policies by their text: documents change rarely, requests read them
 * constantly. Keyed by the text itself, so a changed policy (read afresh from
 * the store on each request) is a miss, on every node.
 */
class PolicyCache {
  private readonly entries = new LRUCache<string, PolicyDocument>({ max: 512 });

  get(text: string, kind: 'identity' | 'bucket' | 'session'): PolicyDocument {
    const id = `${kind}\n${text}`;
    const hit = this.entries.get(id);
    if (hit) return hit;
    const parsed = parsePolicy(text, { kind });
    this.entries.set(id, parsed);
    return parsed;
  }
}

/**
 * The permission check, made on every request with the signer's policies as
 * they are at that moment: a detached policy, a new Deny, a disabled key or a
 * deleted user affects every link the user signed on its next use.
 */
export class Authorizer {
  private readonly cache = new PolicyCache();

  /** `objectTags` answers s3:ExistingObjectTag conditions; without it (the console) they see no tags. */
  constructor(
    private readonly identities: IdentityStore,
    private readonly now: () => number,
    private readonly objectTags?: ObjectTagsLookup,
  ) {}

  /**
   * Throws AccessDenied unless the action on the resource is allowed.
   * `tags`: the tags the request sets, when the operation read them from its
   * body or form (for s3:RequestObjectTag conditions); else its x-amz-tagging header.
   */
  async check(ctx: RequestContext, auth: Signed, action: string, resource: string, bucket: string | undefined, tags?: ObjectTags): Promise<void> {
    if (!(await this.allows(ctx, auth, action, resource, bucket, tags))) throw new S3Error('AccessDenied');
  }

  async allows(ctx: RequestContext, auth: Signed, action: string, resource: string, bucket: string | undefined, tags?: ObjectTags): Promise<boolean> {
    const conditions = conditionValues(ctx, auth, this.now());
    const requested = REQUEST_OBJECT_TAG_ACTIONS.has(action.toLowerCase()) ? tags ?? requestTags(ctx) : undefined;
    return this.allowsFor(auth.principal, action, resource, bucket, requested === undefined ? conditions : { ...conditions, ...requestObjectTagConditions(requested) }, auth.policyDocuments);
  }

  /**
   * The same decision for a principal outside a request (the console asking
   * whether to offer an action): condition keys are the ones given.
   * `policyDocuments`: a user's identity policies, when read with its key for
   * this request (ResolvedKey); else they are read now.
   */
  async allowsFor(
    principal: Principal | undefined,
    action: string,
    resource: string,
    bucket: string | undefined,
    given: Record<string, ConditionValue>,
    policyDocuments?: readonly string[],
  ): Promise<boolean> {
    const requestPrincipal: RequestPrincipal =
      principal === undefined ? { kind: 'anonymous' } : principal.kind === 'root' ? { kind: 'root' } : { kind: 'user', name: principal.name };
    const bucketPolicyText = bucket === undefined ? null : await this.identities.getBucketPolicy(bucket);
    // The common case needs no evaluation: root with no bucket policy may do anything.
    if (requestPrincipal.kind === 'root' && bucketPolicyText === null && principal?.session?.policy == null) return true;
    const identityTexts = principal?.kind === 'user' ? policyDocuments ?? (await this.identities.userPolicyDocuments(principal.name)) : [];
    const now = this.now();
    const sessionPolicy = principal?.session?.policy == null ? undefined : this.cache.get(principal.session.policy, 'session');
    const identityPolicies = identityTexts.map((text) => this.cache.get(text, 'identity'));
    let bucketPolicy = bucketPolicyText === null ? undefined : this.cache.get(bucketPolicyText, 'bucket');
    if (bucketPolicy !== undefined && bucket !== undefined && requestPrincipal.kind === 'anonymous' && (await publicPolicyRestricted(this.identities, bucket, bucketPolicy))) {
      bucketPolicy = undefined;
    }
    const documents = [...identityPolicies, ...(bucketPolicy === undefined ? [] : [bucketPolicy]), ...(sessionPolicy === undefined ? [] : [sessionPolicy])];
    const conditions = { ...given, ...(await this.existingTags(action, resource, documents)) };
    const request = { principal: requestPrincipal, action, resource, conditions };
    const result = evaluate({
      identityPolicies,
      ...(bucketPolicy === undefined ? {} : { bucketPolicy }),
      ...(sessionPolicy === undefined ? {} : { sessionPolicy }),
      request,
      now,
    });
    if (result.decision === 'allow' && requestPrincipal.kind === 'root' && sessionPolicy !== undefined) {
      // The evaluator gives root every right; a root session's policy still narrows it.
      return evaluate({ identityPolicies: [sessionPolicy], request: { ...request, principal: { kind: 'user', name: 'root' } }, now }).decision === 'allow';
    }
    return result.decision === 'allow';
  }

  /** s3:ExistingObjectTag/* for the object the resource names, read only when a policy in play asks for them. */
  private async existingTags(action: string, resource: string, documents: readonly PolicyDocument[]): Promise<Record<string, ConditionValue>> {
    if (this.objectTags === undefined || !EXISTING_OBJECT_TAG_ACTIONS.has(action.toLowerCase()) || !resource.startsWith(OBJECT_ARN_PREFIX)) return {};
    if (!mentionsExistingObjectTag(documents)) return {};
    const path = resource.slice(OBJECT_ARN_PREFIX.length);
    const slash = path.indexOf('/');
    if (slash <= 0) return {};
    const tags = await this.objectTags(path.slice(0, slash), path.slice(slash + 1));
    return tags === null ? {} : existingObjectTagConditions(tags);
  }
}

/**
 * The tags the request's x-amz-tagging header sets, when the operation did
 * not give them. A header that does not parse sets none here; the operation
 * refuses it.
 */
function requestTags(ctx: RequestContext): ObjectTags | undefined {
  const header = ctx.header('x-amz-tagging');
  // A copy that keeps its source's tags ignores the header: CopyObject checks again with the tags it copies.
  const copiesTags = ctx.hasHeader('x-amz-copy-source') && ctx.header('x-amz-tagging-directive')?.toUpperCase() !== 'REPLACE';
  return header === undefined || copiesTags ? undefined : tagsIfValid(() => tagsOfHeader(header));
}

function conditionValues(ctx: RequestContext, auth: Signed, now: number): Record<string, ConditionValue> {
  const { verified } = auth;
  return {
    'aws:SourceIp': ctx.clientIp,
    'aws:SecureTransport': 'encrypted' in ctx.req.socket ? 'true' : 'false',
    's3:prefix': ctx.query.get('prefix'),
    's3:delimiter': ctx.query.get('delimiter'),
    's3:max-keys': ctx.query.get('max-keys'),
    // A browser form upload (POST policy) is S3's "POST" auth type.
    's3:authType': auth.form !== undefined && auth.principal !== undefined ? 'POST' : auth.authType === 'presigned' ? 'REST-QUERY-STRING' : auth.authType === 'header' ? 'REST-HEADER' : undefined,
    's3:signatureversion': verified.version === 4 ? 'AWS4-HMAC-SHA256' : verified.version === 2 ? 'AWS' : undefined,
    's3:signatureAge': verified.version === 4 ? String(Math.max(0, now - verified.signedAt)) : undefined,
    's3:x-amz-content-sha256': ctx.header('x-amz-content-sha256'),
  };
}
