import { S3Error } from '../../errors.js';

/** One condition of a POST policy, normalised; `text` is how S3 quotes it in a failure. */
export type PolicyCondition =
  | { readonly op: 'eq' | 'starts-with'; readonly field: string; readonly value: string; readonly text: string }
  | { readonly op: 'content-length-range'; readonly min: number; readonly max: number; readonly text: string };

export interface PostPolicy {
  /** Epoch ms. */
  readonly expiration: number;
  readonly conditions: readonly PolicyCondition[];
}

/** The values a policy is checked against, by lower-case field name. */
export interface PolicyInput {
  readonly fields: ReadonlyMap<string, string>;
  readonly bucket: string;
  /** The key after ${filename} substitution, and the key field as sent. */
  readonly key: string;
  readonly keyTemplate: string;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$/;

function invalid(reason: string): S3Error {
  return new S3Error('InvalidPolicyDocument', `Invalid Policy: ${reason}`);
}

/** Decodes and validates the base64 policy document; structural faults are InvalidPolicyDocument. */
export function parsePostPolicy(base64: string): PostPolicy {
  if (!BASE64.test(base64)) throw invalid('Invalid JSON.');
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    throw invalid('Invalid JSON.');
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) throw invalid('Invalid JSON.');
  const { expiration, conditions } = document as Record<string, unknown>;
  if (expiration === undefined) throw invalid('Policy missing expiration.');
  const expiresAt = typeof expiration === 'string' && ISO_8601.test(expiration) ? Date.parse(expiration) : Number.NaN;
  if (Number.isNaN(expiresAt)) throw invalid(`Invalid 'expiration' value: '${typeof expiration === 'string' ? expiration : JSON.stringify(expiration)}'`);
  if (conditions === undefined) throw invalid('Policy missing conditions.');
  if (!Array.isArray(conditions)) throw invalid('Policy conditions must be an array.');
  return { expiration: expiresAt, conditions: conditions.flatMap(parseCondition) };
}

function parseCondition(raw: unknown): PolicyCondition[] {
  if (Array.isArray(raw)) {
    const [op, first, second] = raw as unknown[];
    if (typeof op !== 'string' || raw.length !== 3) throw invalid(`Invalid Condition: ${JSON.stringify(raw)}`);
    const name = op.toLowerCase();
    if (name === 'content-length-range') {
      const min = sizeOf(first);
      const max = sizeOf(second);
      if (min === undefined || max === undefined) throw invalid(`Invalid content-length-range: ${JSON.stringify(raw)}`);
      return [{ op: 'content-length-range', min, max, text: quote(['content-length-range', min, max]) }];
    }
    if (name !== 'eq' && name !== 'starts-with') throw invalid(`Invalid Condition: unknown operation "${op}".`);
    if (typeof first !== 'string' || !first.startsWith('$') || typeof second !== 'string') throw invalid(`Invalid Condition: ${JSON.stringify(raw)}`);
    return [{ op: name, field: first.slice(1).toLowerCase(), value: second, text: quote([name, first, second]) }];
  }
  if (raw !== null && typeof raw === 'object') {
    const entries = Object.entries(raw as Record<string, unknown>);
    if (entries.length !== 1) throw invalid(`Invalid Condition: ${JSON.stringify(raw)}`);
    return entries.map(([name, value]) => {
      if (typeof value !== 'string') throw invalid(`Invalid Condition: ${JSON.stringify(raw)}`);
      return { op: 'eq', field: name.toLowerCase(), value, text: quote(['eq', `$${name}`, value]) };
    });
  }
  throw invalid(`Invalid Condition: ${JSON.stringify(raw)}`);
}

/** A size as a number or a numeric string, as S3 accepts both. */
function sizeOf(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** S3 quotes a failed condition as JSON with ", " between items. */
function quote(items: readonly (string | number)[]): string {
  return `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;
}

function policyDenied(reason: string): S3Error {
  return new S3Error('AccessDenied', `Invalid according to Policy: ${reason}`);
}

export function checkExpiration(policy: PostPolicy, now: number): void {
  if (now > policy.expiration) throw policyDenied('Policy expired.');
}

/**
 * Every eq and starts-with condition against the form; returns the allowed
 * file size range (content-length-range), which only the upload can check.
 */
export function checkConditions(policy: PostPolicy, input: PolicyInput): { min: number; max: number } {
  let min = 0;
  let max = Number.MAX_SAFE_INTEGER;
  for (const condition of policy.conditions) {
    if (condition.op === 'content-length-range') {
      min = Math.max(min, condition.min);
      max = Math.min(max, condition.max);
      continue;
    }
    if (!conditionHolds(condition, input)) throw policyDenied(`Policy Condition failed: ${condition.text}`);
  }
  return { min, max };
}

function conditionHolds(condition: { op: 'eq' | 'starts-with'; field: string; value: string }, input: PolicyInput): boolean {
  const { op, field, value } = condition;
  if (field === 'key') {
    if (matches(op, input.key, value)) return true;
    // A policy may name the form's template itself (["eq", "$key", "uploads/${filename}"]).
    return op === 'eq' && input.keyTemplate.includes('${filename}') && input.keyTemplate === value;
  }
  const actual = field === 'bucket' ? input.bucket : (input.fields.get(field) ?? '');
  // A Content-Type may list several types; each must satisfy a starts-with.
  if (field === 'content-type' && op === 'starts-with') return actual.split(',').every((part) => part.trim().startsWith(value));
  return matches(op, actual, value);
}

function matches(op: 'eq' | 'starts-with', actual: string, expected: string): boolean {
  return op === 'eq' ? actual === expected : actual.startsWith(expected);
}

/** Fields no condition needs to name: the signature itself, the file, the policy, and x-ignore-*. */
const EXEMPT = new Set(['policy', 'file', 'x-amz-signature', 'awsaccesskeyid', 'signature']);

/** S3's rule: every other form field must appear in some condition. */
export function checkCoverage(policy: PostPolicy, fields: ReadonlyMap<string, string>): void {
  const named = new Set(policy.conditions.flatMap((c) => (c.op === 'content-length-range' ? [] : [c.field])));
  const extra = [...fields.keys()].filter((name) => !EXEMPT.has(name) && !name.startsWith('x-ignore-') && !named.has(name));
  if (extra.length > 0) throw policyDenied(`Extra input fields: ${extra.join(', ')}`);
}
