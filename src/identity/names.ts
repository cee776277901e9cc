/** IAM's rule for user and policy names. */
const NAME = /^[A-Za-z0-9+=,.@_-]{1,64}$/;

export function isValidName(name: string): boolean {
  return NAME.test(name);
}

/** The one account a server is: what ARNs and STS's GetCallerIdentity name. */
export const ACCOUNT_ID = 'latchkey';
export const ARN_PREFIX = `arn:aws:iam::${ACCOUNT_ID}:`;

export function userArn(name: string): string {
  return name === 'root' ? `${ARN_PREFIX}root` : `${ARN_PREFIX}user/${name}`;
}

export function policyArn(name: string): string {
  return `${ARN_PREFIX}policy/${name}`;
}
