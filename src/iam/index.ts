export type * from './policy-types.js';
export { PolicyError, isPolicyError, type PolicyDefect } from './policy-error.js';
export { parsePolicy, MAX_POLICY_BYTES, type ParseOptions } from './policy-parse.js';
export { evaluate, buildContextValues } from './policy-evaluate.js';
export { evaluateClause, evaluateConditions } from './policy-conditions.js';
export { isPublic, isPublicStatement } from './public-policy.js';
export {
  ACCOUNT_ID,
  ROOT_ARN,
  SERVICE_RESOURCE_ARN,
  bucketArn,
  objectArn,
  userArn,
  isValidUserName,
  parsePrincipalArn,
  principalArn,
  type PrincipalArn,
} from './arn.js';
export { S3_ACTIONS, type S3Action } from './s3-actions.js';
export { matchWildcard, hasWildcard } from './wildcard.js';
export { parseIp, parseCidr, cidrContains } from './ip-address.js';
export {
  EXISTING_OBJECT_TAG,
  EXISTING_OBJECT_TAG_ACTIONS,
  REQUEST_OBJECT_TAG,
  REQUEST_OBJECT_TAG_ACTIONS,
  REQUEST_OBJECT_TAG_KEYS,
  existingObjectTagConditions,
  mentionsExistingObjectTag,
  requestObjectTagConditions,
} from './tag-conditions.js';
