/**
 * s3rver (the S3 emulator on npm) as the bench's second reference: one
 * process on the server core, bucket `bench`, its fixed credentials
 * S3RVER/S3RVER, data in DIR. Prints `listening <url>` once ready.
 * Usage: s3rver-server.js DIR
 */
import S3rver from 's3rver';

const server = new S3rver({ address: '127.0.0.1', port: 0, directory: process.argv[2] ?? '', silent: true, configureBuckets: [{ name: 'bench' }] });
const { port } = await server.run();
process.stdout.write(`listening http://127.0.0.1:${port}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
