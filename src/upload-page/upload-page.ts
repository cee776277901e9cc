import type { RequestContext } from '../s3/context.js';
import { S3_ERRORS } from '../s3/error-response.js';
import type { Api, Resolved } from '../s3/pipeline.js';
import { endWithBody, sendText } from '../s3/respond.js';
import { consoleAssets, type ConsoleAssets } from '../console/assets.js';
import { UPLOAD_PAGE_PATH } from '../presign/upload-page.js';

/**
 * The page on the public S3 endpoint where someone holding only an upload
 * link picks a file and sends it (docs/console.md, "The recipient's upload
 * page"). It is static: the signed PUT URL or POST form rides in the URL's
 * fragment, read by the page's script, and the page may talk to nothing but
 * its own origin, so it can post only to the link it was given.
 */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // The fragment never leaves the browser, and no Referer names the page either.
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export function uploadPage(assets: ConsoleAssets = consoleAssets()): Api<Resolved> {
  return {
    errors: S3_ERRORS,
    matches: (ctx) => ctx.wirePath === UPLOAD_PAGE_PATH || ctx.wirePath.startsWith(`${UPLOAD_PAGE_PATH}/`),
    resolve: () => ({ name: 'UploadPage' }),
    run: (ctx) => serve(ctx, assets),
  };
}

async function serve(ctx: RequestContext, assets: ConsoleAssets): Promise<void> {
  const { res } = ctx;
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
    plain(ctx, 405, `${ctx.method} is not allowed here.`, { allow: 'GET, HEAD' });
    return;
  }
  const rest = ctx.wirePath.slice(UPLOAD_PAGE_PATH.length);
  // The page itself, its stylesheet and the console's compiled scripts (the page's own and the modules it imports).
  const asset = rest === '' ? await assets.read('/upload.html') : rest === '/styles.css' || rest.startsWith('/js/') ? await assets.read(rest) : undefined;
  if (asset === undefined) {
    plain(ctx, 404, `Nothing at ${ctx.wirePath}.`);
    return;
  }
  res.statusCode = 200;
  for (const [name, value] of Object.entries({ 'content-type': asset.type, ...PAGE_HEADERS })) res.setHeader(name, value);
  endWithBody(ctx, asset.body);
}

function plain(ctx: RequestContext, status: number, text: string, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) ctx.res.setHeader(name, value);
  sendText(ctx, status, 'text/plain; charset=utf-8', text);
}
