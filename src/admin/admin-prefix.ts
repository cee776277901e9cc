/** Where the admin API lives on the S3 listener; the CLI's client calls it there. */
export const ADMIN_PREFIX = '/_latchkey/admin/v1';
