import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { adminCall } from './admin-client.js';
import type { TestCredentials } from './clients.js';
import { startServer, type StartOptions, type TestServer } from './server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Compiles the console's front end (console/src → dist/console-ui), as npm run build does. */
export function buildConsoleUi(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'console/tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`console build failed:\n${result.stdout}${result.stderr}`);
}

export interface ConsoleServer {
  readonly server: TestServer;
  /** e.g. http://127.0.0.1:41234 */
  readonly console: string;
}

/** The real server (with its console on an ephemeral port, as --address 127.0.0.1:0 implies); resolves once the console is up. */
export async function startConsoleServer(options: StartOptions = {}): Promise<ConsoleServer> {
  const server = await startServer(options);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const line = server.logs.find((l) => l.includes('"msg":"console"'));
    const m = line === undefined ? null : /"console":"(http:\/\/[^"]+)"/.exec(line);
    if (m) return { server, console: m[1] ?? '' };
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`the console did not start:\n${server.logs.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A user with the given inline policy document and one access key. */
export async function createUserWithPolicy(server: TestServer, name: string, policy: unknown): Promise<TestCredentials> {
  const expect = (status: number, got: { status: number; text: string }) => {
    if (got.status !== status) throw new Error(`admin API answered ${got.status}: ${got.text}`);
  };
  expect(201, await adminCall(server, 'POST', '/users', { body: { name } }));
  expect(201, await adminCall(server, 'PUT', `/policies/${name}-policy`, { body: policy }));
  expect(200, await adminCall(server, 'PUT', `/users/${name}/policies/${name}-policy`));
  const key = await adminCall<{ accessKey: { accessKeyId: string }; secretAccessKey: string }>(server, 'POST', `/users/${name}/access-keys`);
  expect(201, key);
  return { accessKeyId: key.body.accessKey.accessKeyId, secretAccessKey: key.body.secretAccessKey };
}

/** A console JSON API client that keeps its cookie and CSRF token like the page does. */
export class ConsoleClient {
  cookie = '';
  csrf = '';

  constructor(readonly origin: string) {}

  async call(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
    const headers: Record<string, string> = { origin: this.origin, 'x-latchkey-csrf': this.csrf, ...extraHeaders };
    if (this.cookie) headers['cookie'] = this.cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.origin}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0] ?? '';
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      json = { text };
    }
    return { status: res.status, json, headers: res.headers };
  }

  async signIn(credentials: TestCredentials): Promise<void> {
    const res = await this.call('POST', '/api/session', { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey });
    if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(res.json)}`);
    const session = await this.call('GET', '/api/session');
    this.csrf = String(session.json['csrfToken']);
  }
}
