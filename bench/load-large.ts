/**
 * Also drives HEAD, which wrk cannot (it waits for a body the size of Content-Length).
 * Moves large bodies with N parallel clients: PUT (streamed from one shared
 * buffer) or GET (drained) against a list of URLs, for a time or a count
 * (the list's length times `rounds`). Both Latchkey and nginx
 * are driven by this same code, so their figures compare. With `chunked`, a
 * PUT body is framed as an SDK frames it (aws-chunked, 64 KiB chunks, a
 * CRC32 trailer), encoded once up front. Prints JSON.
 */
import { readFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { crc32 } from 'node:zlib';
import { STREAMING_UNSIGNED_TRAILER } from '../src/sigv4/chunked.js';
import { encodeChunked, splitChunks } from '../src/sigv4/chunked-encode.js';
import { nodeCrypto } from '../src/sigv4/node-crypto.js';

interface Args {
  method: 'PUT' | 'GET' | 'HEAD';
  urls: string[];
  /** URLs one a line, read in place of `urls` (a list too long for a command line). */
  urlFile?: string;
  size: number;
  concurrency: number;
  rounds: number;
  /** Stop after this long even if rounds remain. */
  seconds?: number;
  /** PUT only: send the body aws-chunked with a CRC32 trailer (the URL must say STREAMING-UNSIGNED-PAYLOAD-TRAILER). */
  chunked?: boolean;
  /** The status every answer must have (a refusal's 403); by default any under 300. */
  status?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const urls = args.urlFile === undefined ? args.urls : readFileSync(args.urlFile, 'utf8').split('\n').filter((line) => line !== '');
const expected = (status: number | undefined) => status !== undefined && (args.status === undefined ? status < 300 : status === args.status);
const agent = new Agent({ keepAlive: true, maxSockets: args.concurrency });
const data = Buffer.alloc(args.method === 'PUT' ? args.size : 0, 'b');
/** The SDKs' aws-chunked chunk size. */
const SDK_CHUNK = 64 * 1024;
const payload = args.chunked === true ? chunkedBody(data) : data;
const putHeaders: Record<string, string> =
  args.method !== 'PUT'
    ? {}
    : args.chunked === true
      ? {
          'content-length': String(payload.length),
          'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': String(args.size),
          'x-amz-trailer': 'x-amz-checksum-crc32',
        }
      : { 'content-length': String(args.size) };
const SLICE = 1024 * 1024;

function chunkedBody(bytes: Buffer): Buffer {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(crc32(bytes));
  return encodeChunked(splitChunks(bytes, SDK_CHUNK), { payload: STREAMING_UNSIGNED_TRAILER, crypto: nodeCrypto, trailers: [['x-amz-checksum-crc32', value.toString('base64')]] });
}

function once(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: args.method, agent, headers: putHeaders }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () => (expected(res.statusCode) ? resolve(args.method === 'PUT' ? args.size : bytes) : reject(new Error(`${args.method} ${url}: ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (args.method !== 'PUT') {
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
  while (next < urls.length * args.rounds && performance.now() < deadline) {
    const url = urls[next++ % urls.length] ?? '';
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
