import { OPERATORS, parseDate, parseNumber, type OperatorSpec } from './condition-operators.js';
import { cidrContains, parseCidr, parseIp } from './ip-address.js';
import type { ConditionClause, PolicyVersion } from './policy-types.js';
import { expandVariables, type ContextValues } from './policy-variables.js';
import { matchPieces, type PatternPiece } from './wildcard.js';

type Pieces = readonly PatternPiece[];

function text(pieces: Pieces): string {
  return pieces.map((p) => p.text).join('');
}

function compareNumbers(positive: string, request: number, policy: number): boolean {
  switch (positive) {
    case 'NumericEquals':
    case 'DateEquals':
      return request === policy;
    case 'NumericLessThan':
    case 'DateLessThan':
      return request < policy;
    case 'NumericLessThanEquals':
    case 'DateLessThanEquals':
      return request <= policy;
    case 'NumericGreaterThan':
    case 'DateGreaterThan':
      return request > policy;
    case 'NumericGreaterThanEquals':
    case 'DateGreaterThanEquals':
      return request >= policy;
    default:
      return false;
  }
}

/** ARN operators match each of the six colon-separated parts on its own, so `*` never spans a colon before the resource part. */
function matchArn(pattern: string, arn: string): boolean {
  const patternParts = pattern.split(':');
  const arnParts = arn.split(':');
  if (patternParts.length < 6 || arnParts.length < 6) return false;
  for (let i = 0; i < 5; i++) {
    if (!matchPieces([{ text: patternParts[i] ?? '', wild: true }], arnParts[i] ?? '')) return false;
  }
  return matchPieces([{ text: patternParts.slice(5).join(':'), wild: true }], arnParts.slice(5).join(':'));
}

/** The positive operator applied to one request value and one (expanded) policy value. */
function positiveMatch(spec: OperatorSpec, request: string, policy: Pieces): boolean {
  switch (spec.positive) {
    case 'StringEquals':
      return request === text(policy);
    case 'StringEqualsIgnoreCase':
      return request.toLowerCase() === text(policy).toLowerCase();
    case 'StringLike':
      return matchPieces(policy, request);
    case 'ArnLike':
      // Variables in ARN values are rare; the expanded text is matched as a pattern.
      return matchArn(text(policy), request);
    case 'Bool':
      return request.toLowerCase() === text(policy).toLowerCase();
    case 'BinaryEquals':
      return request === text(policy);
    case 'IpAddress': {
      const ip = parseIp(request);
      const block = parseCidr(text(policy));
      return ip !== undefined && block !== undefined && cidrContains(block, ip);
    }
    default: {
      const parse = spec.family === 'Date' ? parseDate : parseNumber;
      const r = parse(request);
      const p = parse(text(policy));
      return r !== undefined && p !== undefined && compareNumbers(spec.positive, r, p);
    }
  }
}

/** Request values that cannot be read for a typed operator satisfy neither it nor its negation. */
function requestValueIsReadable(spec: OperatorSpec, request: string): boolean {
  switch (spec.family) {
    case 'Numeric':
      return parseNumber(request) !== undefined;
    case 'Date':
      return parseDate(request) !== undefined;
    case 'IpAddress':
      return parseIp(request) !== undefined;
    default:
      return true;
  }
}

function matchesOneValue(spec: OperatorSpec, request: string, policy: readonly Pieces[]): boolean {
  const hit = policy.some((p) => positiveMatch(spec, request, p));
  return spec.negated ? requestValueIsReadable(spec, request) && !hit : hit;
}

/**
 * One clause, following IAM:
 * - Null: "true" holds when the key is absent, "false" when it is present.
 * - An absent key makes the clause false, except with IfExists (true), a
 *   negated operator (true) and ForAllValues (true: the empty set).
 * - Multiple policy values are OR'd; a negated operator holds when the request
 *   value matches none of them.
 * - ForAnyValue: some request value satisfies the operator; ForAllValues:
 *   every request value does. Without a qualifier a multi-valued key behaves
 *   as ForAnyValue for positive operators and as NOT(ForAnyValue of the
 *   positive twin) for negated ones.
 */
export function evaluateClause(clause: ConditionClause, version: PolicyVersion, context: ContextValues): boolean {
  const spec = OPERATORS[clause.base];
  if (!spec) return false;
  const present = context.get(clause.key);
  if (spec.family === 'Null') return clause.values.some((v) => (v.toLowerCase() === 'true') === (present === undefined));
  if (present === undefined) {
    if (clause.ifExists || clause.qualifier === 'ForAllValues') return true;
    if (clause.qualifier === 'ForAnyValue') return false;
    return spec.negated;
  }
  const policy = clause.values
    .map((v) => (spec.variables ? expandVariables(v, version, context) : [{ text: v, wild: true }]))
    .filter((p): p is PatternPiece[] => p !== undefined);
  // An unqualified negated operator is NOT(any value matches), i.e. every value matches none.
  const all = clause.qualifier === 'ForAllValues' || (clause.qualifier === undefined && spec.negated);
  return all ? present.every((r) => matchesOneValue(spec, r, policy)) : present.some((r) => matchesOneValue(spec, r, policy));
}

/** All clauses of a statement are AND'd. */
export function evaluateConditions(clauses: readonly ConditionClause[], version: PolicyVersion, context: ContextValues): boolean {
  return clauses.every((clause) => evaluateClause(clause, version, context));
}
