export type AdminErrorCode =
  | 'InvalidInput'
  | 'AccessDenied'
  | 'NoSuchEntity'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'EntityAlreadyExists'
  | 'LimitExceeded'
  | 'DeleteConflict';

const STATUS: Record<AdminErrorCode, number> = {
  InvalidInput: 400,
  AccessDenied: 403,
  NoSuchEntity: 404,
  NotFound: 404,
  MethodNotAllowed: 405,
  EntityAlreadyExists: 409,
  LimitExceeded: 409,
  DeleteConflict: 409,
};

/** An admin API failure, rendered as {"error": {"code", "message"}} (docs/admin-api.md). */
export class AdminError extends Error {
  readonly status: number;

  constructor(
    readonly code: AdminErrorCode,
    message: string,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}
