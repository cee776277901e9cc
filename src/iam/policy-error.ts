/**
 * Every way `parsePolicy` can refuse a document. S3 answers all of them with
 * 400 MalformedPolicy (the code and status are carried here; src/s3 turns the
 * error into the server's S3Error); the defect lets tests and logs tell them apart.
 */
export type PolicyDefect =
  | 'too-large'
  | 'invalid-json'
  | 'not-an-object'
  | 'unknown-element'
  | 'invalid-version'
  | 'invalid-id'
  | 'missing-statement'
  | 'empty-statement'
  | 'invalid-statement'
  | 'duplicate-sid'
  | 'invalid-sid'
  | 'invalid-effect'
  | 'missing-action'
  | 'conflicting-elements'
  | 'invalid-action'
  | 'missing-resource'
  | 'invalid-resource'
  | 'missing-principal'
  | 'unexpected-principal'
  | 'invalid-principal'
  | 'invalid-condition'
  | 'unknown-operator'
  | 'invalid-condition-key'
  | 'invalid-condition-value'
  | 'action-resource-mismatch';

export class PolicyError extends Error {
  readonly code = 'MalformedPolicy';
  readonly status = 400;
  readonly defect: PolicyDefect;

  constructor(defect: PolicyDefect, message: string) {
    super(message);
    this.name = 'PolicyError';
    this.defect = defect;
  }
}

export function isPolicyError(e: unknown): e is PolicyError {
  return e instanceof PolicyError;
}
