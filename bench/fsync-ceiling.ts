/**
 * The disk's own limit for durable small writes: N workers each creating a
 * 4 KiB file, fsyncing it and closing it. nginx's WebDAV PUT does not fsync,
 * so this, not nginx, bounds an fsync'd PUT rate. Prints JSON.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = JSON.parse(process.argv[2] ?? '{}') as { concurrency: number; seconds: number; dir?: string };
const dir = mkdtempSync(join(args.dir ?? tmpdir(), 'latchkey-fsync-'));
const data = Buffer.alloc(4096, 'f');
const deadline = performance.now() + args.seconds * 1000;
let ops = 0;

async function worker(id: number): Promise<void> {
  for (let i = 0; performance.now() < deadline; i++) {
    const file = await open(join(dir, `${id}-${i}`), 'w');
    await file.write(data);
    await file.sync();
    await file.close();
    ops++;
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: args.concurrency }, (_, i) => worker(i)));
const seconds = (performance.now() - started) / 1000;
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ ops, seconds })}\n`);
