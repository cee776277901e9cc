import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { listDataFiles } from './e2e-disk.js';
import { md5Hex } from './e2e-http.js';

/** Writes files (relative path → content) under `root`, making directories as needed; returns `root`. */
export function writeTree(root: string, files: Readonly<Record<string, string | Buffer>>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** Every file under `root` as relative path → MD5: two trees compare equal when their bytes do. */
export function readTree(root: string): Record<string, string> {
  return Object.fromEntries(listDataFiles(root).map((path) => [path, md5Hex(readFileSync(join(root, path)))]));
}
