import { parseCidr } from './ip-address.js';
import type { ConditionFamily, SetQualifier } from './policy-types.js';

/**
 * The condition operators we accept. A negated operator is defined as the
 * negation of its positive twin (`positive`); `variables` says whether policy
 * variables are expanded in its values, as IAM documents per family.
 */
export interface OperatorSpec {
  readonly family: ConditionFamily;
  readonly positive: string;
  readonly negated: boolean;
  readonly variables: boolean;
}

function op(family: ConditionFamily, positive: string, negated = false): OperatorSpec {
  const variables = family === 'String' || family === 'Arn' || family === 'Bool';
  return { family, positive, negated, variables };
}

export const OPERATORS: Readonly<Record<string, OperatorSpec>> = {
  StringEquals: op('String', 'StringEquals'),
  StringNotEquals: op('String', 'StringEquals', true),
  StringEqualsIgnoreCase: op('String', 'StringEqualsIgnoreCase'),
  StringNotEqualsIgnoreCase: op('String', 'StringEqualsIgnoreCase', true),
  StringLike: op('String', 'StringLike'),
  StringNotLike: op('String', 'StringLike', true),
  NumericEquals: op('Numeric', 'NumericEquals'),
  NumericNotEquals: op('Numeric', 'NumericEquals', true),
  NumericLessThan: op('Numeric', 'NumericLessThan'),
  NumericLessThanEquals: op('Numeric', 'NumericLessThanEquals'),
  NumericGreaterThan: op('Numeric', 'NumericGreaterThan'),
  NumericGreaterThanEquals: op('Numeric', 'NumericGreaterThanEquals'),
  DateEquals: op('Date', 'DateEquals'),
  DateNotEquals: op('Date', 'DateEquals', true),
  DateLessThan: op('Date', 'DateLessThan'),
  DateLessThanEquals: op('Date', 'DateLessThanEquals'),
  DateGreaterThan: op('Date', 'DateGreaterThan'),
  DateGreaterThanEquals: op('Date', 'DateGreaterThanEquals'),
  Bool: op('Bool', 'Bool'),
  BinaryEquals: op('Binary', 'BinaryEquals'),
  IpAddress: op('IpAddress', 'IpAddress'),
  NotIpAddress: op('IpAddress', 'IpAddress', true),
  ArnEquals: op('Arn', 'ArnLike'),
  ArnLike: op('Arn', 'ArnLike'),
  ArnNotEquals: op('Arn', 'ArnLike', true),
  ArnNotLike: op('Arn', 'ArnLike', true),
  Null: op('Null', 'Null'),
};

export interface ParsedOperator {
  readonly base: string;
  readonly spec: OperatorSpec;
  readonly qualifier?: SetQualifier;
  readonly ifExists: boolean;
}

/** Splits "ForAllValues:StringLikeIfExists" into its parts; undefined for anything IAM would not know. */
export function parseOperator(name: string): ParsedOperator | undefined {
  let rest = name;
  let qualifier: SetQualifier | undefined;
  for (const q of ['ForAnyValue', 'ForAllValues'] as const) {
    if (rest.startsWith(`${q}:`)) {
      qualifier = q;
      rest = rest.slice(q.length + 1);
      break;
    }
  }
  const ifExists = rest.endsWith('IfExists');
  const base = ifExists ? rest.slice(0, -'IfExists'.length) : rest;
  const spec = Object.hasOwn(OPERATORS, base) ? OPERATORS[base] : undefined;
  if (!spec) return undefined;
  // Null already tests existence; a set qualifier on it has no meaning.
  if (spec.family === 'Null' && (ifExists || qualifier)) return undefined;
  return qualifier ? { base, spec, qualifier, ifExists } : { base, spec, ifExists };
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

export function parseNumber(text: string): number | undefined {
  return NUMBER.test(text.trim()) ? Number(text.trim()) : undefined;
}

/** ISO 8601 (a time without a zone is UTC) or epoch seconds, the two forms IAM accepts; returns milliseconds. */
export function parseDate(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!ISO_DATE.test(trimmed)) return undefined;
  const zoned = /T/i.test(trimmed) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed) ? `${trimmed}Z` : trimmed;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? undefined : ms;
}

function isBoolText(text: string): boolean {
  const lower = text.toLowerCase();
  return lower === 'true' || lower === 'false';
}

/** Whether a policy value is well-formed for its operator; values holding a policy variable are checked at evaluation time instead. */
export function isValidPolicyValue(spec: OperatorSpec, value: string): boolean {
  if (spec.variables && value.includes('${')) return true;
  switch (spec.family) {
    case 'Numeric':
      return parseNumber(value) !== undefined;
    case 'Date':
      return parseDate(value) !== undefined;
    case 'Bool':
    case 'Null':
      return isBoolText(value);
    case 'IpAddress':
      return parseCidr(value) !== undefined;
    default:
      return true;
  }
}
