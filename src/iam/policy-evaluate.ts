import { ACCOUNT_ID, principalArn, ROOT_ARN } from './arn.js';
import { evaluateConditions } from './policy-conditions.js';
import type {
  EvaluationInput,
  EvaluationResult,
  MatchedStatement,
  PolicyDocument,
  PolicySource,
  PolicyStatement,
  PrincipalSpec,
  RequestContext,
  RequestPrincipal,
} from './policy-types.js';
import { expandVariables, type ContextValues } from './policy-variables.js';
import { matchPieces, matchWildcard } from './wildcard.js';

/** The bucket owner's root user can always manage the bucket policy, so a bad Deny cannot lock the bucket for good (as in AWS). */
const ROOT_POLICY_ACTIONS = new Set(['s3:getbucketpolicy', 's3:putbucketpolicy', 's3:deletebucketpolicy']);

const PRINCIPAL_TYPES = { root: 'Account', user: 'User', anonymous: 'Anonymous' } as const;

/**
 * The request's condition values keyed by lower-case name, plus the keys the
 * principal and clock imply when the caller did not set them.
 */
export function buildContextValues(request: RequestContext, now?: number): ContextValues {
  const values = new Map<string, readonly string[]>();
  for (const [key, value] of Object.entries(request.conditions)) {
    const list = typeof value === 'string' ? [value] : value;
    if (list !== undefined && list.length > 0) values.set(key.toLowerCase(), list);
  }
  const { principal } = request;
  const arn = principalArn(principal);
  const implied: Array<[string, string | undefined]> = [
    ['aws:principaltype', PRINCIPAL_TYPES[principal.kind]],
    ['aws:username', principal.kind === 'user' ? principal.name : undefined],
    ['aws:userid', principal.kind === 'user' ? principal.name : principal.kind === 'root' ? ACCOUNT_ID : undefined],
    ['aws:principalarn', arn],
    ['aws:principalaccount', principal.kind === 'anonymous' ? undefined : ACCOUNT_ID],
    ['aws:currenttime', now === undefined ? undefined : currentTime(now)],
    ['aws:epochtime', now === undefined ? undefined : String(Math.floor(now / 1000))],
  ];
  for (const [key, value] of implied) {
    if (value !== undefined && !values.has(key)) values.set(key, [value]);
  }
  return values;
}

/** aws:CurrentTime of the last second asked for: every request of that second shares it. */
let lastSecond = NaN;
let lastCurrentTime = '';

function currentTime(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== lastSecond) {
    lastCurrentTime = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    lastSecond = second;
  }
  return lastCurrentTime;
}

type PrincipalMatch = 'named' | 'account' | 'not-principal' | undefined;

/**
 * How a bucket-policy principal covers the caller: 'named' when the caller's
 * ARN or "*" is listed, 'account' when only the account (root ARN) is, which
 * delegates to the account's own identity policies rather than granting.
 */
function principalMatch(spec: PrincipalSpec, arn: string | undefined): PrincipalMatch {
  if (spec.wildcard) return 'named';
  if (arn === undefined) return undefined;
  if (spec.arns.includes(arn)) return 'named';
  return spec.arns.includes(ROOT_ARN) ? 'account' : undefined;
}

function statementPrincipal(statement: PolicyStatement, arn: string | undefined): PrincipalMatch {
  if (statement.principal) return principalMatch(statement.principal, arn);
  if (statement.notPrincipal) return principalMatch(statement.notPrincipal, arn) === undefined ? 'not-principal' : undefined;
  return undefined;
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  if (statement.action) return statement.action.some((pattern) => matchWildcard(pattern, action, true));
  return !(statement.notAction ?? []).some((pattern) => matchWildcard(pattern, action, true));
}

function resourceMatches(statement: PolicyStatement, doc: PolicyDocument, resource: string, context: ContextValues): boolean {
  const hit = (pattern: string): boolean => {
    const pieces = expandVariables(pattern, doc.version, context);
    // A variable with no value makes the entry match nothing.
    return pieces !== undefined && matchPieces(pieces, resource);
  };
  if (statement.resource) return statement.resource.some(hit);
  return !(statement.notResource ?? []).some(hit);
}

function applies(statement: PolicyStatement, doc: PolicyDocument, request: RequestContext, context: ContextValues): boolean {
  return (
    actionMatches(statement, request.action) &&
    resourceMatches(statement, doc, request.resource, context) &&
    evaluateConditions(statement.conditions, doc.version, context)
  );
}

function matched(source: PolicySource, policy: number, statement: PolicyStatement): MatchedStatement {
  return { source, policy, statement: statement.index, ...(statement.sid !== undefined ? { sid: statement.sid } : {}) };
}

interface Scan {
  readonly denies: MatchedStatement[];
  readonly allows: MatchedStatement[];
}

function scan(source: PolicySource, policy: number, doc: PolicyDocument, request: RequestContext, context: ContextValues, grants: (m: PrincipalMatch) => boolean): Scan {
  const arn = principalArn(request.principal);
  const result: Scan = { denies: [], allows: [] };
  for (const statement of doc.statements) {
    const who = source === 'bucket' ? statementPrincipal(statement, arn) : 'named';
    if (who === undefined || !applies(statement, doc, request, context)) continue;
    if (statement.effect === 'Deny') result.denies.push(matched(source, policy, statement));
    else if (grants(who)) result.allows.push(matched(source, policy, statement));
  }
  return result;
}

/** Which bucket-policy principal matches may grant access to this caller. */
function bucketGrantsTo(principal: RequestPrincipal): (m: PrincipalMatch) => boolean {
  // Anonymous callers only through a "*" principal; users when named or through NotPrincipal.
  if (principal.kind === 'anonymous') return (m) => m === 'named';
  return (m) => m === 'named' || m === 'not-principal';
}

/**
 * Decides a request the way AWS does for a bucket owned by the caller's
 * account: an explicit Deny in any policy wins; otherwise root is allowed,
 * a user needs an Allow from an identity policy or from the bucket policy
 * naming them (or "*"), and an anonymous caller needs a bucket-policy Allow
 * to "*". A session policy can only narrow: it must allow the request too.
 */
export function evaluate(input: EvaluationInput): EvaluationResult {
  const { request } = input;
  const { principal } = request;
  const context = buildContextValues(request, input.now);
  // Root and anonymous callers have no identity or session policies.
  const isUser = principal.kind === 'user';
  const identity = isUser ? input.identityPolicies.map((doc, i) => scan('identity', i, doc, request, context, () => true)) : [];
  const bucket = input.bucketPolicy ? scan('bucket', 0, input.bucketPolicy, request, context, bucketGrantsTo(principal)) : undefined;
  const session = isUser && input.sessionPolicy ? scan('session', 0, input.sessionPolicy, request, context, () => true) : undefined;

  if (principal.kind === 'root' && ROOT_POLICY_ACTIONS.has(request.action.toLowerCase())) return { decision: 'allow', matched: [] };
  const denies = [...identity.flatMap((s) => s.denies), ...(bucket?.denies ?? []), ...(session?.denies ?? [])];
  if (denies.length > 0) return { decision: 'explicit-deny', matched: denies };
  if (principal.kind === 'root') return { decision: 'allow', matched: [] };

  const allows = [...identity.flatMap((s) => s.allows), ...(bucket?.allows ?? [])];
  if (allows.length === 0) return { decision: 'implicit-deny', matched: [] };
  if (session) {
    if (session.allows.length === 0) return { decision: 'implicit-deny', matched: [] };
    allows.push(...session.allows);
  }
  return { decision: 'allow', matched: allows };
}
