import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The console's front end: HTML and CSS from console/, scripts compiled from
 * console/src by `npm run build` into dist/console-ui. Everything is served
 * from here; the pages load nothing from any other origin.
 */
export interface ConsoleAssets {
  /** undefined when the path names no asset. */
  read(path: string): Promise<{ body: Buffer; type: string } | undefined>;
  /** False when the scripts were never compiled (the page then says how to build them). */
  readonly built: boolean;
}

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};

/** The repository root whether this file runs from src/ (tsx) or dist/src/ (compiled). */
export function projectRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return join(here, here.includes(`${join('dist', 'src')}`) ? '../../..' : '../..');
}

export function consoleAssets(root = projectRoot()): ConsoleAssets {
  const pages = join(root, 'console');
  const scripts = join(root, 'dist', 'console-ui');
  const built = existsSync(join(scripts, 'main.js'));
  return {
    built,
    async read(path) {
      let file: string | undefined;
      if (path === '/' || path === '/index.html') file = join(pages, built ? 'index.html' : 'not-built.html');
      else if (path === '/upload.html') file = join(pages, built ? 'upload.html' : 'not-built.html');
      else if (/^\/[a-z-]+\.css$/.test(path)) file = join(pages, path);
      else if (/^\/js\/[a-z0-9-]+\.js$/.test(path)) file = join(scripts, path.slice(4));
      else if (path === '/favicon.svg') file = join(pages, 'favicon.svg');
      if (file === undefined) return undefined;
      try {
        return { body: await readFile(file), type: TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream' };
      } catch {
        return undefined;
      }
    },
  };
}
