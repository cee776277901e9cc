import { parsePrincipalArn, ROOT_ARN, userArn } from './arn.js';
import { isValidPolicyValue, parseOperator } from './condition-operators.js';
import { PolicyError } from './policy-error.js';
import type { ConditionClause, PolicyKind, PrincipalSpec } from './policy-types.js';

/**
 * Parsers for the Principal and Condition elements of one statement. Each
 * throws a PolicyError naming what is wrong; messages follow AWS's wording
 * where S3 has one ("Invalid principal in policy", "Policy has an invalid
 * condition key").
 */

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface PrincipalOptions {
  /** Lets the server refuse principals that name users it does not know, as AWS does. */
  readonly principalExists?: (arn: string) => boolean;
}

const invalidPrincipal = (): PolicyError => new PolicyError('invalid-principal', 'Invalid principal in policy');

export function parsePrincipal(value: unknown, options: PrincipalOptions): PrincipalSpec {
  if (value === '*') return { wildcard: true, arns: [] };
  if (!isPlainObject(value)) throw invalidPrincipal();
  const keys = Object.keys(value);
  // Only IAM principals exist here: no CanonicalUser, Service or Federated principals.
  if (keys.length !== 1 || keys[0] !== 'AWS') throw invalidPrincipal();
  const entries = value.AWS;
  const list = typeof entries === 'string' ? [entries] : entries;
  if (!Array.isArray(list) || list.length === 0) throw invalidPrincipal();
  let wildcard = false;
  const arns: string[] = [];
  for (const entry of list) {
    if (typeof entry !== 'string') throw invalidPrincipal();
    if (entry === '*') {
      wildcard = true;
      continue;
    }
    const parsed = parsePrincipalArn(entry);
    if (!parsed) throw invalidPrincipal();
    const arn = parsed.kind === 'root' ? ROOT_ARN : userArn(parsed.name);
    if (options.principalExists && !options.principalExists(arn)) throw invalidPrincipal();
    if (!arns.includes(arn)) arns.push(arn);
  }
  return { wildcard, arns };
}

const CONDITION_KEY = /^[a-z0-9-]+:[^\s]+$/i;

function conditionValues(operator: string, key: string, value: unknown): string[] {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new PolicyError('invalid-condition-value', `Condition ${operator} gives no value for ${key}`);
  return list.map((v) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new PolicyError('invalid-condition-value', `Invalid value for ${operator} condition key ${key}`);
  });
}

export function parseCondition(value: unknown, kind: PolicyKind): ConditionClause[] {
  if (!isPlainObject(value)) throw new PolicyError('invalid-condition', 'Condition must be an object of operators');
  const clauses: ConditionClause[] = [];
  for (const [operator, block] of Object.entries(value)) {
    const parsed = parseOperator(operator);
    if (!parsed) throw new PolicyError('unknown-operator', `Policy has an invalid condition operator: ${operator}`);
    if (!isPlainObject(block) || Object.keys(block).length === 0) {
      throw new PolicyError('invalid-condition', `Condition ${operator} must be an object of condition keys`);
    }
    for (const [keyAsWritten, raw] of Object.entries(block)) {
      const key = keyAsWritten.toLowerCase();
      const prefix = key.slice(0, key.indexOf(':'));
      // S3 only knows global (aws:) and its own (s3:) keys.
      if (!CONDITION_KEY.test(key) || (kind === 'bucket' && prefix !== 'aws' && prefix !== 's3')) {
        throw new PolicyError('invalid-condition-key', `Policy has an invalid condition key: ${keyAsWritten}`);
      }
      const values = conditionValues(operator, keyAsWritten, raw);
      const bad = values.find((v) => !isValidPolicyValue(parsed.spec, v));
      if (bad !== undefined) throw new PolicyError('invalid-condition-value', `Invalid value for ${operator} condition key ${keyAsWritten}: ${bad}`);
      clauses.push({
        operator,
        base: parsed.base,
        family: parsed.spec.family,
        ...(parsed.qualifier ? { qualifier: parsed.qualifier } : {}),
        ifExists: parsed.ifExists,
        keyAsWritten,
        key,
        values,
      });
    }
  }
  return clauses;
}
