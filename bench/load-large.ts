/**
 * Also drives HEAD, which wrk cannot (it waits for a body the size of Content-Length).
 * Moves large bodies with N parallel clients: PUT (streamed from one shared
 * buffer) or GET (drained) against a list of URLs. Both Latchkey and nginx
 * are driven by this same code, so their figures compare. Prints JSON.
 */
import { request, Agent } from 'node:http';

interface Args {
  method: 'PUT' | 'GET' | 'HEAD';
  urls: string[];
  size: number;
  concurrency: number;
  rounds: number;
  /** Stop after this long even if rounds remain. */
  seconds?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const agent = new Agent({ keepAlive: true, maxSockets: args.concurrency });
const payload = Buffer.alloc(args.method === 'PUT' ? args.size : 0, 'b');
const SLICE = 1024 * 1024;

function once(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: args.method, agent, headers: args.method === 'PUT' ? { 'content-length': String(args.size) } : {} }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () => (res.statusCode !== undefined && res.statusCode < 300 ? resolve(args.method === 'PUT' ? args.size : bytes) : reject(new Error(`${args.method} ${url}: ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (args.method === 'GET') {
      req.end();
      return;
    }
    let offset = 0;
    const pump = () => {
      while (offset < payload.length) {
        const end = Math.min(offset + SLICE, payload.length);
        const ok = req.write(payload.subarray(offset, end));
        offset = end;
        if (!ok) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

let next = 0;
let bytes = 0;
const latencies: number[] = [];
const deadline = performance.now() + (args.seconds ?? Infinity) * 1000;
async function worker(): Promise<void> {
  while (next < args.urls.length * args.rounds && performance.now() < deadline) {
    const url = args.urls[next++ % args.urls.length] ?? '';
    const started = performance.now();
    // Not "bytes += await …": that reads bytes before the await and loses the other workers' updates.
    const received = await once(url);
    bytes += received;
    latencies.push(performance.now() - started);
  }
}
const started = performance.now();
await Promise.all(Array.from({ length: args.concurrency }, () => worker()));
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? 0;
process.stdout.write(`${JSON.stringify({ ops: latencies.length, bytes, seconds, p50: pct(50), p99: pct(99) })}\n`);
agent.destroy();
