import { S3Error } from '../errors.js';
import type { AnyOperation, Target } from './operation.js';

/**
 * Query parameters that name an S3 sub-resource, in the order they win when
 * a request carries more than one. A request carrying one that no operation
 * handles is an operation we do not implement (501), never a plain GET or
 * PUT of the object by mistake.
 */
const SUBRESOURCES = [
  'location', 'policyStatus', 'policy', 'cors', 'versioning', 'uploadId', 'acl', 'lifecycle', 'requestPayment', 'uploads',
  'versions', 'tagging', 'attributes', 'ownershipControls', 'publicAccessBlock', 'list-type', 'delete',
  'accelerate', 'analytics', 'encryption', 'intelligent-tiering', 'inventory', 'legal-hold', 'logging', 'metrics',
  'notification', 'object-lock', 'replication', 'restore', 'retention', 'select', 'torrent', 'website',
];
const PRECEDENCE: ReadonlyMap<string, number> = new Map(SUBRESOURCES.map((name, i) => [name, i]));

export interface RouteInput {
  readonly method: string;
  readonly target: Target;
  readonly query: ReadonlyMap<string, string>;
  readonly hasHeader: (name: string) => boolean;
}

export interface Routed<N extends string> {
  readonly name: N;
  readonly operation: AnyOperation;
}

/** The operations of one method on one target, by the sub-resource that selects them. */
interface MethodRoutes<N extends string> {
  /** Selected by a query parameter; a header-selected one (UploadPartCopy) first. */
  readonly bySubresource: Map<string, Routed<N>[]>;
  /** Selected by no query parameter; a header-selected one (CopyObject) first. */
  readonly plain: Routed<N>[];
}

/**
 * The router derived from the operations' declarations: a lookup by method
 * and target, then by the sub-resource named in the query, then by header.
 */
export class Router<N extends string> {
  private readonly routes = new Map<string, MethodRoutes<N>>();

  constructor(operations: Readonly<Record<N, AnyOperation>>) {
    for (const name of Object.keys(operations) as N[]) {
      const operation = operations[name];
      if (operation.query !== undefined && !PRECEDENCE.has(operation.query[0])) throw new TypeError(`${name}: ${operation.query[0]} is not a known sub-resource`);
      const id = `${operation.method} ${operation.target}`;
      let entry = this.routes.get(id);
      if (entry === undefined) this.routes.set(id, (entry = { bySubresource: new Map(), plain: [] }));
      const list = operation.query === undefined ? entry.plain : listOf(entry.bySubresource, operation.query[0]);
      list.push({ name, operation });
      // The more selectors, the more specific: a header-selected route is tried before its plain sibling.
      list.sort((a, b) => Number(b.operation.header !== undefined) - Number(a.operation.header !== undefined));
    }
  }

  find(input: RouteInput): Routed<N> {
    const entry = this.routes.get(`${input.method} ${input.target}`);
    const sub = subresourcesOf(input.query);
    const named = sub.some((name) => name !== 'list-type');
    if (entry === undefined) {
      // A sub-resource names a real S3 operation we lack (POST ?restore is RestoreObject): 501, not 405.
      throw named ? notImplemented() : methodNotAllowed(input);
    }
    for (const name of sub) {
      for (const route of entry.bySubresource.get(name) ?? []) {
        const value = route.operation.query?.[1];
        if (value !== undefined && input.query.get(name) !== value) continue;
        if (route.operation.header !== undefined && !input.hasHeader(route.operation.header)) continue;
        return route;
      }
    }
    if (!named) {
      for (const route of entry.plain) if (route.operation.header === undefined || input.hasHeader(route.operation.header)) return route;
      // POST /bucket/key names no operation (only POST ?uploads and ?uploadId do): 405, as without any POST route.
      if (entry.plain.length === 0) throw methodNotAllowed(input);
    }
    throw notImplemented();
  }
}

function listOf<N extends string>(map: Map<string, Routed<N>[]>, name: string): Routed<N>[] {
  let list = map.get(name);
  if (list === undefined) map.set(name, (list = []));
  return list;
}

/** The request's sub-resource parameters, the one that wins first. */
function subresourcesOf(query: ReadonlyMap<string, string>): string[] {
  if (query.size === 0) return [];
  const names: string[] = [];
  for (const name of query.keys()) if (PRECEDENCE.has(name)) names.push(name);
  if (names.length > 1) names.sort((a, b) => (PRECEDENCE.get(a) ?? 0) - (PRECEDENCE.get(b) ?? 0));
  return names;
}

function methodNotAllowed(input: RouteInput): S3Error {
  return new S3Error('MethodNotAllowed', undefined, { Method: input.method, ResourceType: input.target.toUpperCase() });
}

function notImplemented(): S3Error {
  return new S3Error('NotImplemented', 'This operation is not implemented.', {}, {});
}
