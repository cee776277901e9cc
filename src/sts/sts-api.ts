import { createHash } from 'node:crypto';
import { isPolicyError, parsePolicy } from '../iam/index.js';
import { ACCOUNT_ID, userArn } from '../identity/names.js';
import type { Identities, Principal } from '../identity/identities.js';
import type { Logger } from '../logger.js';
import { identify, type AuthDeps } from '../s3/auth.js';
import type { RequestContext } from '../s3/context.js';
import type { Api, Resolved } from '../s3/pipeline.js';
import { asS3Error, isRefusal } from '../s3/library-errors.js';
import { sendText } from '../s3/respond.js';
import type { ApiError, ErrorFlavour } from '../s3/error-response.js';
import { escapeXml, XML_DECLARATION } from '../s3/xml.js';

const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const MAX_BODY = 64 * 1024;
const MIN_DURATION = 900;
const MAX_DURATION = 43200;

class StsError extends Error implements ApiError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface StsDeps {
  readonly logger: Logger;
  readonly auth: AuthDeps;
  readonly identities: Identities;
}

interface StsRequest extends Resolved {
  readonly body: Buffer;
  readonly form: URLSearchParams;
  readonly action: string;
}

/**
 * An STS-compatible endpoint on the S3 port: form POSTs to "/" signed for
 * service "sts", as boto3's and the aws CLI's STS clients send them.
 * AssumeRole hands out temporary credentials of the caller itself (there are
 * no roles; RoleArn is accepted and not used), narrowed by an optional
 * session Policy; GetSessionToken does the same without a policy;
 * GetCallerIdentity says who signed.
 */
export function stsApi(deps: StsDeps): Api<StsRequest> {
  return {
    errors: STS_ERRORS,
    matches: (ctx) =>
      ctx.method === 'POST' && ctx.wirePath === '/' && (ctx.header('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded'),
    async resolve(ctx) {
      // The body is signed (its hash is part of the signature), so it is read before anything else.
      const body = await readBody(ctx);
      const form = new URLSearchParams(body.toString('utf8'));
      const action = form.get('Action') ?? '';
      return { name: `STS:${action}`, body, form, action };
    },
    authenticate(ctx, { body }) {
      const payloadHash = createHash('sha256').update(body).digest('hex');
      const claim = identify(ctx, deps.auth, { service: 'sts', payloadHash });
      return {
        authType: claim.authType,
        async verify() {
          const verified = await claim.verify();
          if (verified.principal === undefined) throw new StsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
          return verified;
        },
      };
    },
    authorise(_ctx, { form, action }, { principal }) {
      // Who signed may always ask who they are, as on AWS.
      if (action === 'GetCallerIdentity') return Promise.resolve();
      if (action !== 'AssumeRole' && action !== 'GetSessionToken') throw new StsError(400, 'InvalidAction', `Could not find operation ${action} for version ${form.get('Version') ?? ''}`);
      if (principal?.session !== undefined) throw new StsError(403, 'AccessDenied', 'Temporary credentials cannot request further temporary credentials.');
      return Promise.resolve();
    },
    run: (ctx, request, { principal }) => answerSts(ctx, request, principal, deps),
  };
}

async function readBody(ctx: RequestContext): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new StsError(400, 'ValidationError', 'The request body is too large.');
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

async function answerSts(ctx: RequestContext, { form, action }: StsRequest, principal: Principal | undefined, deps: StsDeps): Promise<void> {
  if (principal === undefined) throw new StsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  if (action === 'GetCallerIdentity') return answerCallerIdentity(ctx, principal);
  const durationText = form.get('DurationSeconds');
  const duration = durationText === null ? (action === 'AssumeRole' ? 3600 : MAX_DURATION) : Number(durationText);
  if (!Number.isInteger(duration) || duration < MIN_DURATION || duration > MAX_DURATION) {
    throw new StsError(400, 'ValidationError', `1 validation error detected: Value '${durationText}' at 'durationSeconds' failed to satisfy constraint: Member must have value between ${MIN_DURATION} and ${MAX_DURATION}`);
  }
  const policy = form.get('Policy');
  if (policy !== null) {
    try {
      parsePolicy(policy, { kind: 'session' });
    } catch (e) {
      if (isPolicyError(e)) throw new StsError(400, 'MalformedPolicyDocument', e.message);
      throw e;
    }
  }
  if (action === 'AssumeRole' && (form.get('RoleArn') === null || form.get('RoleSessionName') === null)) {
    throw new StsError(400, 'ValidationError', 'AssumeRole needs RoleArn and RoleSessionName.');
  }

  const credentials = await deps.identities.createSession(principal, duration, policy, new Date());
  const xmlCredentials =
    `<Credentials><AccessKeyId>${credentials.accessKeyId}</AccessKeyId><SecretAccessKey>${escapeXml(credentials.secretAccessKey)}</SecretAccessKey>` +
    `<SessionToken>${escapeXml(credentials.sessionToken ?? '')}</SessionToken><Expiration>${credentials.expiresAt.toISOString()}</Expiration></Credentials>`;
  const assumed =
    action === 'AssumeRole'
      ? `<AssumedRoleUser><AssumedRoleId>${credentials.accessKeyId}:${escapeXml(form.get('RoleSessionName') ?? '')}</AssumedRoleId><Arn>${escapeXml(userArn(principal.name))}</Arn></AssumedRoleUser>`
      : '';
  const text =
    `${XML_DECLARATION}<${action}Response xmlns="${STS_NAMESPACE}"><${action}Result>${xmlCredentials}${assumed}</${action}Result>` +
    `<ResponseMetadata><RequestId>${ctx.id}</RequestId></ResponseMetadata></${action}Response>`;
  sendText(ctx, 200, 'text/xml', text);
}

/**
 * Who signed, needing no permission (as on AWS): the account, the user's ARN
 * and an id. Temporary credentials answer as the user they were issued to
 * (as AWS's GetSessionToken credentials do), their id suffixed with the
 * session's key id as an assumed role's is with its session name.
 */
function answerCallerIdentity(ctx: RequestContext, principal: Principal): void {
  const userId = principal.kind === 'root' ? ACCOUNT_ID : principal.name;
  const fields =
    `<Arn>${escapeXml(userArn(principal.name))}</Arn>` +
    `<UserId>${escapeXml(principal.session === undefined ? userId : `${userId}:${principal.accessKeyId}`)}</UserId><Account>${ACCOUNT_ID}</Account>`;
  sendText(
    ctx,
    200,
    'text/xml',
    `${XML_DECLARATION}<GetCallerIdentityResponse xmlns="${STS_NAMESPACE}"><GetCallerIdentityResult>${fields}</GetCallerIdentityResult>` +
      `<ResponseMetadata><RequestId>${ctx.id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
  );
}

/** STS's XML error document; S3 refusals (from signature checks, mapped by asS3Error) keep their status and code. */
const STS_ERRORS: ErrorFlavour = {
  isOwn: (error) => error instanceof StsError || isRefusal(error),
  render(error, ctx) {
    const { status, code, message }: ApiError =
      (error instanceof StsError ? error : asS3Error(error)) ?? { status: 500, code: 'InternalFailure', message: 'An internal error occurred.' };
    const type = status >= 500 ? 'Receiver' : 'Sender';
    const body =
      `${XML_DECLARATION}<ErrorResponse xmlns="${STS_NAMESPACE}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${ctx.id}</RequestId></ErrorResponse>`;
    return { status, headers: { 'content-type': 'text/xml' }, body };
  },
};
