/**
 * The typed form of an IAM policy document after `parsePolicy` has validated
 * it, and the request context the evaluator decides against. Everything here
 * is plain data so policies can be cached and evaluated without I/O.
 */

export type PolicyVersion = '2012-10-17' | '2008-10-17';

/** Where a policy comes from decides which elements it may carry (bucket policies need Principal, the others must not have one). */
export type PolicyKind = 'identity' | 'bucket' | 'session';

export type Effect = 'Allow' | 'Deny';

/**
 * A normalised Principal/NotPrincipal. `"*"`, `{"AWS": "*"}` and an AWS list
 * holding "*" all become `wildcard: true`; `arns` holds the remaining entries
 * rewritten to full ARNs (a bare account id becomes the account's root ARN).
 */
export interface PrincipalSpec {
  readonly wildcard: boolean;
  readonly arns: readonly string[];
}

export type ConditionFamily = 'String' | 'Numeric' | 'Date' | 'Bool' | 'IpAddress' | 'Arn' | 'Binary' | 'Null';

export type SetQualifier = 'ForAnyValue' | 'ForAllValues';

/** One `operator: { key: values }` pair of a Condition block, split into its parts. */
export interface ConditionClause {
  /** The operator exactly as written, e.g. "ForAnyValue:StringLikeIfExists". */
  readonly operator: string;
  /** The operator without qualifier and IfExists suffix, e.g. "StringLike". */
  readonly base: string;
  readonly family: ConditionFamily;
  readonly qualifier?: SetQualifier;
  readonly ifExists: boolean;
  /** The key as written (for messages); `key` is the lower-cased lookup name. */
  readonly keyAsWritten: string;
  readonly key: string;
  /** JSON numbers and booleans are kept as their string forms, as AWS compares them. */
  readonly values: readonly string[];
}

export interface PolicyStatement {
  /** Position in the document, used to identify statements without a Sid. */
  readonly index: number;
  readonly sid?: string;
  readonly effect: Effect;
  readonly action?: readonly string[];
  readonly notAction?: readonly string[];
  readonly resource?: readonly string[];
  readonly notResource?: readonly string[];
  readonly principal?: PrincipalSpec;
  readonly notPrincipal?: PrincipalSpec;
  readonly conditions: readonly ConditionClause[];
}

export interface PolicyDocument {
  readonly kind: PolicyKind;
  /** "2008-10-17" when the document has no Version, as AWS assumes; policy variables are then literal text. */
  readonly version: PolicyVersion;
  readonly id?: string;
  readonly statements: readonly PolicyStatement[];
}

export type PrincipalKind = 'root' | 'user' | 'anonymous';

export interface RequestPrincipal {
  readonly kind: PrincipalKind;
  /** The user name for kind 'user'. */
  readonly name?: string;
  /** Defaults to the ARN of our scheme (see arn.ts). */
  readonly arn?: string;
}

/** Condition values as the server supplies them; a key with no value (undefined or []) is absent. */
export type ConditionValue = string | readonly string[] | undefined;

export interface RequestContext {
  readonly principal: RequestPrincipal;
  /** e.g. "s3:GetObject". */
  readonly action: string;
  /** e.g. "arn:aws:s3:::bucket/key". */
  readonly resource: string;
  /** Condition keys, matched case-insensitively. */
  readonly conditions: Readonly<Record<string, ConditionValue>>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export type PolicySource = 'identity' | 'bucket' | 'session';

/** Identifies a statement that decided the outcome. */
export interface MatchedStatement {
  readonly source: PolicySource;
  /** Index into identityPolicies for source 'identity'; 0 otherwise. */
  readonly policy: number;
  readonly statement: number;
  readonly sid?: string;
}

export interface EvaluationInput {
  readonly identityPolicies: readonly PolicyDocument[];
  readonly bucketPolicy?: PolicyDocument;
  /** The policy passed when temporary credentials were issued; it can only narrow. */
  readonly sessionPolicy?: PolicyDocument;
  readonly request: RequestContext;
  /** Milliseconds since the epoch; fills aws:CurrentTime and aws:EpochTime when the request does not carry them. */
  readonly now?: number;
}

export interface EvaluationResult {
  readonly decision: Decision;
  /** The Deny statements that matched (explicit-deny) or the Allow statements that granted (allow). */
  readonly matched: readonly MatchedStatement[];
}
