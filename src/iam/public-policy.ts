import { parseCidr } from './ip-address.js';
import type { ConditionClause, PolicyDocument, PolicyStatement } from './policy-types.js';
import { hasWildcard } from './wildcard.js';

/**
 * GetBucketPolicyStatus's IsPublic, after AWS's "The meaning of public": a
 * bucket policy is public when some Allow statement reaches everyone (a "*"
 * principal, or NotPrincipal) and no condition pins it to fixed values. We
 * are conservative: every action counts (AWS ignores statements with only
 * harmless actions) and only these conditions restrict:
 * - IpAddress on aws:SourceIp whose blocks are all at least /8 (IPv4) or /32
 *   (IPv6), as wider blocks are effectively the whole internet;
 * - StringEquals / StringEqualsIgnoreCase / ArnEquals (or the Like forms
 *   without wildcards) on a key that identifies the caller or its origin.
 * IfExists and set-qualified clauses never restrict, since an absent key or
 * an empty set satisfies them.
 */
const IDENTIFYING_KEYS: ReadonlySet<string> = new Set([
  'aws:userid',
  'aws:username',
  'aws:principalarn',
  'aws:principalaccount',
  'aws:sourcearn',
  'aws:sourceaccount',
  'aws:sourceowner',
  'aws:sourcevpc',
  'aws:sourcevpce',
]);
const FIXING_OPERATORS: ReadonlySet<string> = new Set(['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'ArnEquals', 'ArnLike']);

function narrowCidr(value: string): boolean {
  const block = parseCidr(value);
  return block !== undefined && block.prefix >= (block.family === 4 ? 8 : 32);
}

function restricts(clause: ConditionClause): boolean {
  if (clause.ifExists || clause.qualifier) return false;
  if (clause.base === 'IpAddress' && clause.key === 'aws:sourceip') return clause.values.every(narrowCidr);
  if (!FIXING_OPERATORS.has(clause.base) || !IDENTIFYING_KEYS.has(clause.key)) return false;
  return clause.values.every((v) => !hasWildcard(v) && !v.includes('${'));
}

function reachesEveryone(statement: PolicyStatement): boolean {
  return statement.principal?.wildcard === true || statement.notPrincipal !== undefined;
}

export function isPublicStatement(statement: PolicyStatement): boolean {
  return statement.effect === 'Allow' && reachesEveryone(statement) && !statement.conditions.some(restricts);
}

export function isPublic(policy: PolicyDocument): boolean {
  return policy.statements.some(isPublicStatement);
}
