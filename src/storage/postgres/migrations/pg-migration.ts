/** One schema change: applied once, in version order, and never edited once released. */
export interface PgMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}
