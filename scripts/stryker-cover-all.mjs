// Imported into each test process (stryker.config.mjs) of targets whose code runs in a server the tests spawn.
// The tap runner reports the coverage its own test process saw, whatever coverageAnalysis says, and Stryker then runs
// each mutant only with the test files that reached it in-process: a mutant reached only inside the spawned server was
// reported NoCoverage without a test being run. Claiming, in the initial run, that every test file reaches every
// mutant makes each mutant run the target's test files in order until one fails, which is what 'off' is meant to do.
// The claimed count is huge so that Stryker's hit limit (a hundred times the hits of the initial run) never cuts
// short a test that reaches an in-process mutant often.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const MAX_MUTANTS = 20_000;
const HITS = 1e12;
if (process.env.STRYKER_DRY_RUN === 'true') {
  // Before the runner's own exit handler, which writes the coverage out.
  process.prependListener('exit', () => {
    /** @type {Record<string, number>} */
    const all = {};
    for (let id = 0; id < MAX_MUTANTS; id++) all[id] = HITS;
    const namespace = /** @type {Record<string, { mutantCoverage?: unknown } | undefined>} */ (/** @type {unknown} */ (globalThis))[process.env.STRYKER_NAMESPACE ?? '__stryker__'];
    if (namespace !== undefined) namespace.mutantCoverage = { static: all, perTest: {} };
  });
}

// With forceBail the runner ends a test process (SIGTERM) at its first failure, before its after() hooks stop the
// servers it spawned: each killed mutant left a server running (dozens in one run, on two shared cores). The
// children are remembered here and killed when the test process exits, however it exits.
/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
const originalSpawn = childProcess.spawn;
childProcess.spawn = /** @type {typeof childProcess.spawn} */ (
  function spawn(/** @type {any[]} */ ...args) {
    const child = /** @type {import('node:child_process').ChildProcess} */ (Reflect.apply(originalSpawn, childProcess, args));
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  }
);
syncBuiltinESMExports();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
