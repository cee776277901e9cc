/**
 * A load generator for SDK operations (the AWS SDK for JavaScript v3 as an app
 * would use it): PutObject or GetObject of a small body with N concurrent
 * loops for a fixed time or count. Prints one JSON line: ops, seconds, latencies.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

interface Args {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  /** The object GetObject reads (small.bin). */
  key?: string;
  op: 'put' | 'get';
  size: number;
  concurrency: number;
  /** Stop after this long, or after `requests` operations: whichever is given (both: whichever comes first). */
  seconds?: number;
  requests?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const client = new S3Client({
  endpoint: args.endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: args.accessKeyId, secretAccessKey: args.secretAccessKey },
});
const body = Buffer.alloc(args.size, 'a');
const latencies: number[] = [];
const deadline = performance.now() + (args.seconds ?? Infinity) * 1000;
let counter = 0;
let started = 0;

async function loop(worker: number): Promise<void> {
  while (performance.now() < deadline && started++ < (args.requests ?? Infinity)) {
    const key = args.op === 'put' ? `sdk/${worker}/${counter++}` : (args.key ?? 'small.bin');
    const started = performance.now();
    if (args.op === 'put') {
      await client.send(new PutObjectCommand({ Bucket: args.bucket, Key: key, Body: body }));
    } else {
      const out = await client.send(new GetObjectCommand({ Bucket: args.bucket, Key: key }));
      await out.Body?.transformToByteArray();
    }
    latencies.push(performance.now() - started);
  }
}

const began = performance.now();
const cpuBefore = process.cpuUsage();
await Promise.all(Array.from({ length: args.concurrency }, (_, i) => loop(i)));
const seconds = (performance.now() - began) / 1000;
const cpu = process.cpuUsage(cpuBefore);
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? 0;
process.stdout.write(`${JSON.stringify({ ops: latencies.length, seconds, p50: pct(50), p99: pct(99), loaderCpuMsPerOp: (cpu.user + cpu.system) / 1000 / latencies.length })}\n`);
client.destroy();
