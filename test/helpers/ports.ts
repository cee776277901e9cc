import { createServer } from 'node:net';

/** A port the kernel just handed out: only a candidate, since another process may take it before ours binds it (callers retry). */
export function candidatePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
