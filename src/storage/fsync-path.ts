import { open } from 'node:fs/promises';

/** fsync a file or a directory by path: a directory's fsync makes the entries created or renamed in it durable. */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
