#!/usr/bin/env node
/*
 * The `latchkey` command's entry point. File and directory fsyncs run on
 * libuv's thread pool, 4 threads by default; on disks where one fsync takes
 * milliseconds, four at a time caps fsync'd PUTs far below what the disk can
 * do in parallel. The pool reads UV_THREADPOOL_SIZE once, when it first starts,
 * and Node's ES module loader reads module files on that pool before any
 * module's code runs: so this entry point is CommonJS (loaded with synchronous
 * reads) and sizes the pool before it loads the command itself.
 */
sizeThreadPool(process.env);
void import('./cli.js');

function sizeThreadPool(env: NodeJS.ProcessEnv): void {
  env['UV_THREADPOOL_SIZE'] ??= '64';
}
