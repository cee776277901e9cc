// Preloaded into each test process of a Stryker target whose code runs in the server the tests spawn
// (stryker.config.mjs, coverage 'off'). The TAP runner reports the coverage it finds in the test process
// whatever coverageAnalysis says, and Stryker then trusts it: code that only the spawned server runs
// looked covered by no test, and every mutant there came out "NoCoverage" without being run. Marking
// every mutant as hit outside any test ("static" coverage) makes Stryker run each one against all the
// target's test files instead, which is what 'off' means. The count is huge so that Stryker's hit limit
// (a hundred times the hits of the initial run) never cuts a test short.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const namespace = process.env.STRYKER_NAMESPACE ?? '__stryker__';
const MUTANT_IDS = 20_000;
const HITS = 1e12;
const stryker = (globalThis[namespace] ??= {});
const coverage = (stryker.mutantCoverage ??= { static: {}, perTest: {} });
for (let id = 0; id < MUTANT_IDS; id++) coverage.static[String(id)] = HITS;

// With forceBail the runner ends a test process (SIGTERM) at its first failure, before its after() hooks stop the
// servers it spawned: each killed mutant left a server running (dozens in one run, on two shared cores). The
// children are remembered here and killed when the test process exits, however it exits.
const children = new Set();
const originalSpawn = childProcess.spawn;
childProcess.spawn = function spawn(...args) {
  const child = originalSpawn.apply(this, args);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
};
syncBuiltinESMExports();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
