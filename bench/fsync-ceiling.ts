/**
 * The disk's own limit for durable writes: N workers each creating a file of
 * `size` bytes (default 4 KiB; a large one in 1 MiB writes), fsyncing it and
 * closing it. nginx's WebDAV PUT does not fsync, so this, not nginx, bounds
 * an fsync'd PUT rate. Prints JSON.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = JSON.parse(process.argv[2] ?? '{}') as { concurrency: number; seconds: number; size?: number; dir?: string };
const dir = mkdtempSync(join(args.dir ?? tmpdir(), 'latchkey-fsync-'));
const size = args.size ?? 4096;
const data = Buffer.alloc(Math.min(size, 1024 * 1024), 'f');
const deadline = performance.now() + args.seconds * 1000;
let ops = 0;

async function worker(id: number): Promise<void> {
  for (let i = 0; performance.now() < deadline; i++) {
    const file = await open(join(dir, `${id}-${i}`), 'w');
    for (let written = 0; written < size; written += data.length) await file.write(data, 0, Math.min(data.length, size - written));
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
