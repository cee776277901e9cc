import { S3Error } from '../../errors.js';
import { parseAmzDate } from '../../sigv4/amz-date.js';
import { authErrors } from '../../sigv4/errors.js';
import { fromHex } from '../../sigv4/hex.js';
import { SHA1_BASE64 } from '../../sigv4/sigv2.js';
import { ALGORITHM, MAX_PRESIGN_EXPIRES, MAX_SKEW_MS, UNSIGNED_PAYLOAD, type CredentialScope } from '../../sigv4/types.js';
import type { VerifiedAuth } from '../../sigv4/verify.js';
import { ANONYMOUS, authenticated, checkSessionToken, sigv2Disabled, type AuthDeps, type Authenticated, type Claim } from '../auth.js';
import type { RequestContext } from '../context.js';
import type { ResolvedKey } from '../../identity/identities.js';
import type { ObjectTags } from '../../storage/types.js';
import { readPostForm, type FilePart, type PostForm } from './form.js';
import { tagsIfValid, tagsOfFormField } from '../tagging.js';
import { checkExpiration, parsePostPolicy, type PostPolicy } from './policy.js';

/** A form read up to its file: what the credentials step hands the permission check and the operation that stores it. */
export interface SubmittedForm {
  readonly form: PostForm & { readonly file: FilePart };
  readonly bucket: string;
  /** After ${filename} substitution; keyTemplate is the key field as sent. */
  readonly key: string;
  readonly keyTemplate: string;
  /** The tags its tagging field sets, if it parses (for s3:RequestObjectTag conditions; the operation refuses a bad one). */
  readonly tags: ObjectTags | undefined;
  /** The bucket was named by the Host, so the Location of the answer leaves it out of the path. */
  readonly virtualHosted: boolean;
  /** The signed policy; undefined for an anonymous form. */
  readonly policy: PostPolicy | undefined;
}

/** A form upload's credentials: who signed its policy, and the form they signed. */
export type FormCredentials = Authenticated & { readonly form: SubmittedForm };

/**
 * The credentials step of a form upload (S3's POST Object): its signature is
 * in the body, so the form is read up to the file part (whose bytes wait
 * unread until everything else has passed), and the key it names is the
 * claim's, the request's key from then on; verifying the claim checks the
 * policy's signature and expiry. What follows is every request's pipeline:
 * link controls, then s3:PutObject on that key.
 */
export async function claimForm(ctx: RequestContext, deps: AuthDeps, address: { readonly bucket: string | undefined; readonly virtualHosted: boolean }): Promise<Claim<FormCredentials>> {
  const contentType = ctx.header('content-type') ?? '';
  if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) throw new S3Error('RequestIsNotMultiPartContent');
  // The policy and signature are in the body itself, so the body is wanted whatever it says.
  if (ctx.header('expect')?.toLowerCase() === '100-continue') ctx.res.writeContinue();
  const form = await readPostForm(ctx.req, contentType, (bytes) => (ctx.bytesIn += bytes));
  const { fields, file } = form;
  const keyTemplate = fields.get('key');
  if (keyTemplate === undefined) throw missingField('key');
  if (file === undefined) throw new S3Error('InvalidArgument', 'POST requires exactly one file upload per request.', { ArgumentName: 'file', ArgumentValue: '0' });
  const key = keyTemplate.replaceAll('${filename}', file.filename);
  if (key === '') throw new S3Error('InvalidArgument', 'User key must have a length greater than 0.', { ArgumentName: 'key', ArgumentValue: '' });
  // Who signed is known only once the signature is checked: until then the form counts as anonymous.
  return { authType: 'anonymous', key, verify: () => verifyForm(ctx, deps, { ...form, file }, { bucket: address.bucket ?? '', key, keyTemplate, virtualHosted: address.virtualHosted }) };
}

async function verifyForm(
  ctx: RequestContext,
  deps: AuthDeps,
  form: PostForm & { readonly file: FilePart },
  named: Pick<SubmittedForm, 'bucket' | 'key' | 'keyTemplate' | 'virtualHosted'>,
): Promise<FormCredentials> {
  const { fields } = form;
  const auth = await authenticatePost(fields, deps);
  const policyText = fields.get('policy');
  let policy: PostPolicy | undefined;
  let signed: Authenticated = auth;
  const { verified } = auth;
  if (policyText !== undefined && verified.version !== 0) {
    policy = parsePostPolicy(policyText);
    const now = deps.now();
    checkExpiration(policy, now);
    // Signed "in the future" would also place it after any revocation made until then.
    if (verified.version === 4 && verified.signedAt - now > MAX_SKEW_MS) throw new S3Error('AccessDenied', 'Request is not yet valid');
    checkLifetime(policy, verified.version === 4 ? verified.signedAt : now);
    // A signed policy is a link like a pre-signed URL: it expires with its policy.
    signed = { ...auth, verified: { ...verified, expiresAt: policy.expiration } };
  }
  const tags = tagsIfValid(() => tagsOfFormField(fields.get('tagging')));
  return { ...signed, form: { form, ...named, tags, policy } };
}

/**
 * Like every link, a policy lives at most 7 days from its signing (a SigV2
 * policy, which does not say when it was signed, at most 7 days from now):
 * that bound is what makes "links signed before T" revocations final.
 */
function checkLifetime(policy: PostPolicy, from: number): void {
  if (policy.expiration - from > MAX_PRESIGN_EXPIRES * 1000) {
    throw new S3Error('InvalidPolicyDocument', 'Invalid Policy: a policy may expire at most 7 days (604800 seconds) after it is signed.');
  }
}

/** AWS's wording for a field the form lacks (or sent after the file, where it is ignored). */
export function missingField(name: string): S3Error {
  return new S3Error('InvalidArgument', `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`, {
    ArgumentName: name,
    ArgumentValue: '',
  });
}

/**
 * Verifies the signature over the policy, SigV4 (x-amz-* fields) or legacy
 * SigV2 (AWSAccessKeyId, signature), and says who signed. A form with
 * neither is anonymous and may only do what a bucket policy grants everyone.
 * The policy's own contents are checked afterwards, so a forged form never
 * learns whether its policy would have passed.
 */
export async function authenticatePost(fields: ReadonlyMap<string, string>, deps: AuthDeps): Promise<Authenticated> {
  const v4 = ['x-amz-algorithm', 'x-amz-credential', 'x-amz-signature'].some((name) => fields.has(name));
  const v2 = fields.has('awsaccesskeyid') || fields.has('signature');
  if (v4 && v2) throw authErrors.multipleMechanisms();
  if (!v4 && !v2) {
    if (fields.has('policy')) throw missingField('AWSAccessKeyId');
    return ANONYMOUS;
  }
  const { verified, resolved } = v4 ? await verifyV4Policy(fields, deps) : await verifyV2Policy(fields, deps);
  return authenticated(verified, 'presigned', resolved);
}

function required(fields: ReadonlyMap<string, string>, name: string): string {
  const value = fields.get(name);
  if (value === undefined || value === '') throw missingField(name);
  return value;
}

/** A policy's signature checked, and who made it. */
interface VerifiedPolicy {
  readonly verified: VerifiedAuth;
  readonly resolved: ResolvedKey;
}

async function verifyV4Policy(fields: ReadonlyMap<string, string>, deps: AuthDeps): Promise<VerifiedPolicy> {
  const algorithm = required(fields, 'x-amz-algorithm');
  const credential = required(fields, 'x-amz-credential');
  const amzDate = required(fields, 'x-amz-date');
  const signature = required(fields, 'x-amz-signature');
  const policy = required(fields, 'policy');
  if (algorithm !== ALGORITHM) {
    throw new S3Error('InvalidArgument', `X-Amz-Algorithm only supports "${ALGORITHM}"`, { ArgumentName: 'x-amz-algorithm', ArgumentValue: algorithm });
  }
  const { accessKeyId, scope } = parseCredential(credential, deps.region);
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) throw authErrors.malformedDate();
  if (amzDate.slice(0, 8) !== scope.date) throw authErrors.scopeDateMismatch('query');

  const resolved = await deps.lookupKey(accessKeyId);
  if (resolved === undefined) throw authErrors.unknownAccessKey(accessKeyId);
  const token = fields.get('x-amz-security-token');
  const signingKey = deps.keyCache.get(resolved.secretAccessKey, scope, token);
  const expected = deps.crypto.hmacSha256(signingKey, policy);
  const provided = fromHex(signature);
  if (provided === undefined || provided.length !== expected.length || !deps.crypto.timingSafeEqual(provided, expected)) {
    throw authErrors.signatureMismatch({ accessKeyId, stringToSign: policy, signatureProvided: signature });
  }
  checkSessionToken(resolved, token, deps.now());
  const verified: VerifiedAuth = {
    version: 4,
    mode: 'query',
    accessKeyId,
    scope,
    amzDate,
    signedAt,
    ...(token === undefined ? {} : { securityToken: token }),
    payloadHash: UNSIGNED_PAYLOAD,
    signature,
    signingKey,
  };
  return { verified, resolved };
}

/** AKID/YYYYMMDD/REGION/s3/aws4_request, with the same faults as a pre-signed URL's X-Amz-Credential. */
function parseCredential(credential: string, region: string): { accessKeyId: string; scope: CredentialScope } {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((part) => part === '') || !/^\d{8}$/.test(parts[1] ?? '')) throw authErrors.malformedCredential('query');
  const [accessKeyId = '', date = '', scopeRegion = '', service = '', terminator = ''] = parts;
  if (scopeRegion !== region) throw authErrors.wrongRegion('query', scopeRegion, region);
  if (service !== 's3') throw authErrors.wrongService('query', service, 's3');
  if (terminator !== 'aws4_request') throw authErrors.wrongTerminator('query', terminator);
  return { accessKeyId, scope: { date, region, service } };
}

async function verifyV2Policy(fields: ReadonlyMap<string, string>, deps: AuthDeps): Promise<VerifiedPolicy> {
  if (deps.sigv2 === false) throw sigv2Disabled();
  const accessKeyId = required(fields, 'awsaccesskeyid');
  const signature = required(fields, 'signature');
  const policy = required(fields, 'policy');
  const resolved = await deps.lookupKey(accessKeyId);
  if (resolved === undefined) throw authErrors.unknownAccessKey(accessKeyId);
  const expected = deps.crypto.hmacSha1(resolved.secretAccessKey, policy);
  const provided = SHA1_BASE64.test(signature) ? Buffer.from(signature, 'base64') : undefined;
  if (provided === undefined || provided.length !== expected.length || !deps.crypto.timingSafeEqual(provided, expected)) {
    throw authErrors.signatureMismatch({ accessKeyId, stringToSign: policy, signatureProvided: signature });
  }
  const token = fields.get('x-amz-security-token');
  checkSessionToken(resolved, token, deps.now());
  return { verified: { version: 2, mode: 'query', accessKeyId, signature, ...(token === undefined ? {} : { securityToken: token }) }, resolved };
}

