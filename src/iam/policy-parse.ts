import { isArnShaped, splitS3Arn } from './arn.js';
import { PolicyError } from './policy-error.js';
import { isPlainObject, parseCondition, parsePrincipal, type PrincipalOptions } from './policy-parse-elements.js';
import type { Effect, PolicyDocument, PolicyKind, PolicyStatement, PolicyVersion, PrincipalSpec } from './policy-types.js';
import { S3_ACTION_RESOURCE_TYPES } from './s3-actions.js';
import { hasWildcard, matchWildcard } from './wildcard.js';

export interface ParseOptions extends PrincipalOptions {
  /** Defaults to 'identity'. Bucket policies must name a Principal; the other kinds must not. */
  readonly kind?: PolicyKind;
  /** For bucket policies: every Resource must be able to name this bucket or its objects. */
  readonly bucket?: string;
}

/** S3's bucket-policy limit, which we apply to every kind of policy. */
export const MAX_POLICY_BYTES = 20 * 1024;
/** Whitespace does not count towards the limit, but a raw text this large is refused before parsing. */
const MAX_RAW_BYTES = 8 * MAX_POLICY_BYTES;

const TOP_LEVEL = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_ELEMENTS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const VERSIONS: ReadonlySet<string> = new Set<PolicyVersion>(['2012-10-17', '2008-10-17']);
const ACTION = /^[a-z0-9-]+:[a-z0-9*?-]+$/i;

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

function tooLarge(): PolicyError {
  return new PolicyError('too-large', 'Policy exceeds the maximum allowed document size.');
}

function readJson(text: string): unknown {
  if (utf8Length(text) > MAX_RAW_BYTES) throw tooLarge();
  if (!text.trimStart().startsWith('{')) {
    throw new PolicyError('invalid-json', "Policies must be valid JSON and the first byte must be '{'");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PolicyError('invalid-json', 'This policy contains invalid Json');
  }
}

/** A string or a non-empty list of strings; anything else is the given error. */
function stringList(value: unknown, error: () => PolicyError): string[] {
  const list: unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  if (list.length === 0 || !list.every((v): v is string => typeof v === 'string')) throw error();
  return list;
}

function pickOne(raw: Record<string, unknown>, name: string, missing: PolicyError | undefined): { positive?: unknown; negative?: unknown } {
  const has = Object.hasOwn(raw, name);
  const hasNot = Object.hasOwn(raw, `Not${name}`);
  if (has && hasNot) throw new PolicyError('conflicting-elements', `Statement may not contain both ${name} and Not${name}`);
  if (!has && !hasNot && missing) throw missing;
  return has ? { positive: raw[name] } : hasNot ? { negative: raw[`Not${name}`] } : {};
}

function parseActions(value: unknown, kind: PolicyKind): string[] {
  const invalid = (): PolicyError => new PolicyError('invalid-action', 'Policy has invalid action');
  const actions = stringList(value, invalid);
  for (const action of actions) {
    if (action === '*') continue;
    if (!ACTION.test(action)) throw invalid();
    // A bucket policy can only grant S3 actions.
    if (kind === 'bucket' && !action.toLowerCase().startsWith('s3:')) throw invalid();
  }
  return actions;
}

function parseResources(value: unknown, kind: PolicyKind, bucket: string | undefined): string[] {
  const invalid = (): PolicyError => new PolicyError('invalid-resource', 'Policy has invalid resource');
  const resources = stringList(value, invalid);
  for (const resource of resources) {
    if (kind !== 'bucket') {
      if (resource !== '*' && !isArnShaped(resource)) throw invalid();
      continue;
    }
    // A bucket policy may only speak about its own bucket and objects (AWS refuses even "*").
    const parts = splitS3Arn(resource);
    if (!parts || parts.bucket === '') throw invalid();
    if (bucket !== undefined && !parts.bucket.includes('${') && !matchWildcard(parts.bucket, bucket)) throw invalid();
  }
  return resources;
}

function canName(resource: string, type: 'service' | 'bucket' | 'object'): boolean {
  if (resource === '*') return true;
  const parts = splitS3Arn(resource);
  if (!parts) return false;
  if (type === 'bucket') return parts.key === undefined;
  if (type === 'object') return parts.key !== undefined || parts.bucket.includes('*');
  return false;
}

/** AWS refuses a bucket-policy statement whose listed actions can never apply to its listed resources. */
function checkActionsApply(actions: readonly string[], resources: readonly string[]): void {
  for (const action of actions) {
    if (hasWildcard(action)) continue;
    const type = S3_ACTION_RESOURCE_TYPES.get(action.toLowerCase());
    if (type === undefined || type === 'service') continue;
    if (!resources.some((r) => canName(r, type))) {
      throw new PolicyError('action-resource-mismatch', 'Action does not apply to any resource(s) in statement');
    }
  }
}

function parsePrincipals(raw: Record<string, unknown>, kind: PolicyKind, options: ParseOptions): { principal?: PrincipalSpec; notPrincipal?: PrincipalSpec } {
  if (kind !== 'bucket') {
    if (Object.hasOwn(raw, 'Principal') || Object.hasOwn(raw, 'NotPrincipal')) {
      throw new PolicyError('unexpected-principal', 'Policy document should not specify a principal.');
    }
    return {};
  }
  const { positive, negative } = pickOne(raw, 'Principal', new PolicyError('missing-principal', 'Missing required field Principal'));
  return positive !== undefined ? { principal: parsePrincipal(positive, options) } : { notPrincipal: parsePrincipal(negative, options) };
}

function parseStatement(raw: unknown, index: number, kind: PolicyKind, options: ParseOptions): PolicyStatement {
  if (!isPlainObject(raw)) throw new PolicyError('invalid-statement', 'Could not parse the policy: Statement is not well-formed.');
  for (const name of Object.keys(raw)) {
    if (!STATEMENT_ELEMENTS.has(name)) throw new PolicyError('unknown-element', `Unknown field ${name}`);
  }
  if (raw.Sid !== undefined && typeof raw.Sid !== 'string') throw new PolicyError('invalid-sid', 'Statement Sid must be a string');
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') {
    throw raw.Effect === undefined
      ? new PolicyError('invalid-effect', 'Missing required field Effect')
      : new PolicyError('invalid-effect', `Invalid effect: ${typeof raw.Effect === 'string' ? raw.Effect : JSON.stringify(raw.Effect)}`);
  }
  const effect: Effect = raw.Effect;
  const actions = pickOne(raw, 'Action', new PolicyError('missing-action', 'Missing required field Action'));
  const resources = pickOne(raw, 'Resource', new PolicyError('missing-resource', 'Missing required field Resource'));
  const statement: PolicyStatement = {
    index,
    ...(typeof raw.Sid === 'string' ? { sid: raw.Sid } : {}),
    effect,
    ...(actions.positive !== undefined ? { action: parseActions(actions.positive, kind) } : { notAction: parseActions(actions.negative, kind) }),
    ...(resources.positive !== undefined
      ? { resource: parseResources(resources.positive, kind, options.bucket) }
      : { notResource: parseResources(resources.negative, kind, options.bucket) }),
    ...parsePrincipals(raw, kind, options),
    conditions: raw.Condition === undefined ? [] : parseCondition(raw.Condition, kind),
  };
  if (kind === 'bucket' && statement.action && statement.resource) checkActionsApply(statement.action, statement.resource);
  return statement;
}

/**
 * Validates a policy (JSON text or an already-parsed value) and returns its
 * typed form, or throws a PolicyError (S3 code MalformedPolicy, 400) whose
 * message and `defect` name the problem.
 */
export function parsePolicy(input: unknown, options: ParseOptions = {}): PolicyDocument {
  const kind = options.kind ?? 'identity';
  const doc = typeof input === 'string' ? readJson(input) : input;
  if (!isPlainObject(doc)) throw new PolicyError('not-an-object', 'Policies must be valid JSON and the first byte must be \'{\'');
  // Measured on the minified form, so indentation does not count against the limit.
  if (utf8Length(JSON.stringify(doc)) > MAX_POLICY_BYTES) throw tooLarge();
  for (const name of Object.keys(doc)) {
    if (!TOP_LEVEL.has(name)) throw new PolicyError('unknown-element', `Unknown field ${name}`);
  }
  const version = doc.Version ?? '2008-10-17';
  if (typeof version !== 'string' || !VERSIONS.has(version)) {
    throw new PolicyError('invalid-version', 'The policy must contain a valid version string');
  }
  if (doc.Id !== undefined && typeof doc.Id !== 'string') throw new PolicyError('invalid-id', 'Policy Id must be a string');
  if (doc.Statement === undefined) throw new PolicyError('missing-statement', 'Missing required field Statement');
  const rawStatements: unknown[] = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (rawStatements.length === 0) throw new PolicyError('empty-statement', 'Could not parse the policy: Statement is empty!');
  const statements = rawStatements.map((raw, index) => parseStatement(raw, index, kind, options));
  const sids = statements.flatMap((s) => (s.sid !== undefined && s.sid !== '' ? [s.sid] : []));
  if (new Set(sids).size !== sids.length) throw new PolicyError('duplicate-sid', 'Statement IDs (SID) in a single policy must be unique');
  return {
    kind,
    version: version as PolicyVersion,
    ...(typeof doc.Id === 'string' ? { id: doc.Id } : {}),
    statements,
  };
}
