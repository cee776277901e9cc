/**
 * Imported first by the CLI. File and directory fsyncs run on libuv's thread
 * pool, 4 threads by default; on disks where one fsync takes milliseconds,
 * four at a time caps fsync'd PUTs far below what the disk can do in parallel.
 * Must be set before the pool's first use.
 */
process.env['UV_THREADPOOL_SIZE'] ??= '64';
