import type { Principal } from '../identity/identities.js';
import type { AuthType } from './auth.js';

/**
 * What the log, the metrics, the slow-body guard and the error renderer read
 * of a request: the stages' outputs as far as the request got, recorded by
 * the pipeline as each stage returns (no stage writes here).
 */
export interface Outcome {
  /** The resolved operation's name; undefined until resolve returns. */
  readonly operation: string | undefined;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  /** The mechanism the request claimed, from its structure; anonymous until then. */
  readonly authType: AuthType;
  /** Who signed, once verified. */
  readonly principal: Principal | undefined;
  /** What the request failed with (for metrics). */
  readonly failure: unknown;
}

/** The pipeline's own record of a request's outcome, written by `runStages` and `createPipeline` only. */
export type OutcomeRecord = { -readonly [K in keyof Outcome]: Outcome[K] };

export function newOutcome(): OutcomeRecord {
  return { operation: undefined, bucket: undefined, key: undefined, authType: 'anonymous', principal: undefined, failure: undefined };
}

/** "/bucket/key" for the <Resource> of S3's error bodies. */
export function resourceOf({ bucket, key }: Outcome): string {
  if (bucket === undefined) return '/';
  return key === undefined ? `/${bucket}` : `/${bucket}/${key}`;
}
