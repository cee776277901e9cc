import type { Identities } from '../identity/identities.js';
import type { LinkService } from '../links/link-service.js';
import type { Logger } from '../logger.js';
import { identify, type AuthDeps, type Authenticated } from '../s3/auth.js';
import type { Authorizer } from '../s3/authorize.js';
import type { RequestContext } from '../s3/context.js';
import type { Api, Resolved } from '../s3/pipeline.js';
import { asS3Error, isRefusal } from '../s3/library-errors.js';
import { openRequestBody } from '../s3/request-body.js';
import { sendText } from '../s3/respond.js';
import { jsonErrorBody, type ApiError, type ErrorFlavour } from '../s3/error-response.js';
import { percentDecode } from '../sigv4/uri-encode.js';
import { AdminError } from './admin-error.js';
import { ADMIN_PREFIX } from './admin-prefix.js';
import { ADMIN_ENDPOINTS, type AdminEndpoint } from './endpoints.js';

const MAX_BODY = 64 * 1024;

interface CompiledEndpoint {
  readonly endpoint: AdminEndpoint;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

const COMPILED: readonly CompiledEndpoint[] = ADMIN_ENDPOINTS.map((endpoint) => {
  const names: string[] = [];
  const source = endpoint.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { endpoint, pattern: new RegExp(`^${source}$`), names };
});

export interface AdminApiDeps {
  readonly logger: Logger;
  readonly auth: AuthDeps;
  readonly authorizer: Authorizer;
  readonly identities: Identities;
  readonly links?: LinkService;
}

interface AdminRequest extends Resolved {
  readonly endpoint: AdminEndpoint;
  readonly params: Readonly<Record<string, string>>;
}

/** The admin API (docs/admin-api.md) on the S3 port, under a prefix no bucket can take. */
export function adminApi(deps: AdminApiDeps): Api<AdminRequest> {
  return {
    errors: ADMIN_ERRORS,
    matches: (ctx) => ctx.wirePath === '/_latchkey' || ctx.wirePath.startsWith('/_latchkey/'),
    resolve: resolveEndpoint,
    authenticate(ctx) {
      const claim = identify(ctx, deps.auth);
      return {
        authType: claim.authType,
        async verify() {
          const verified = await claim.verify();
          if (verified.principal === undefined) throw new AdminError('AccessDenied', 'The admin API needs a signed request.');
          if (verified.authType === 'presigned') throw new AdminError('AccessDenied', 'Pre-signed URLs cannot call the admin API.');
          return verified;
        },
      };
    },
    async authorise(ctx, { endpoint, params }, verified) {
      if (!(await deps.authorizer.allows(ctx, verified, endpoint.action, endpoint.resource(params), undefined))) {
        throw new AdminError('AccessDenied', `Not authorized to perform ${endpoint.action}.`);
      }
    },
    run: (ctx, request, verified) => runEndpoint(ctx, request, verified, deps),
  };
}

function resolveEndpoint(ctx: RequestContext): AdminRequest {
  const path = ctx.wirePath.startsWith(`${ADMIN_PREFIX}/`) ? ctx.wirePath.slice(ADMIN_PREFIX.length) : undefined;
  const candidates = path === undefined ? [] : COMPILED.filter((c) => c.pattern.test(path));
  if (candidates.length === 0) throw new AdminError('NotFound', `No admin endpoint at ${ctx.wirePath}`);
  const match = candidates.find((c) => c.endpoint.method === ctx.method);
  if (match === undefined) throw new AdminError('MethodNotAllowed', `${ctx.method} is not allowed on ${ctx.wirePath}`);
  const values = match.pattern.exec(path ?? '') ?? [];
  const params: Record<string, string> = {};
  match.names.forEach((name, i) => (params[name] = percentDecode(values[i + 1] ?? '')));
  return { name: `Admin:${match.endpoint.action}`, endpoint: match.endpoint, params };
}

async function runEndpoint(ctx: RequestContext, { endpoint, params }: AdminRequest, verified: Authenticated, deps: AdminApiDeps): Promise<void> {
  const body = openRequestBody(ctx, verified.verified, MAX_BODY);
  const parts: Buffer[] = [];
  for await (const chunk of body.stream) parts.push(chunk as Buffer);
  const bodyText = Buffer.concat(parts).toString('utf8');
  let parsed: unknown;
  if (bodyText.trim() !== '') {
    try {
      parsed = JSON.parse(bodyText);
    } catch {
      throw new AdminError('InvalidInput', 'The body is not valid JSON.');
    }
  }
  const response = await endpoint.run(
    { params, query: ctx.query, body: parsed, bodyText },
    { store: deps.identities.store, identities: deps.identities, ...(deps.links === undefined ? {} : { links: deps.links }) },
  );
  sendJson(ctx, response.status, response.body);
}

function sendJson(ctx: RequestContext, status: number, body: unknown): void {
  ctx.res.statusCode = status;
  if (body === undefined || status === 204) {
    ctx.res.end();
    return;
  }
  sendText(ctx, status, 'application/json', `${JSON.stringify(body)}\n`);
}

/** The admin API's JSON error ({"error": {"code", "message"}}, docs/admin-api.md). */
const ADMIN_ERRORS: ErrorFlavour = {
  isOwn: (error) => error instanceof AdminError || isRefusal(error),
  render(error) {
    const { status, code, message }: ApiError =
      (error instanceof AdminError ? error : asS3Error(error)) ?? { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' };
    return { status, headers: { 'content-type': 'application/json' }, body: `${JSON.stringify(jsonErrorBody({ code, message }))}\n` };
  },
};
