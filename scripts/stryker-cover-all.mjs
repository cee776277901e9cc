// Imported into each test process (stryker.config.mjs) of targets whose code runs in a server the tests spawn.
// The tap runner reports the coverage its own test process saw, whatever coverageAnalysis says, and Stryker then runs
// each mutant only with the test files that reached it in-process: a mutant reached only inside the spawned server was
// reported NoCoverage without a test being run. Claiming, in the initial run, that every test file reaches every
// mutant makes each mutant run the target's test files in order until one fails, which is what 'off' is meant to do.
const MAX_MUTANTS = 20_000;
if (process.env.STRYKER_DRY_RUN === 'true') {
  // Before the runner's own exit handler, which writes the coverage out.
  process.prependListener('exit', () => {
    /** @type {Record<string, number>} */
    const all = {};
    for (let id = 0; id < MAX_MUTANTS; id++) all[id] = 1;
    const namespace = /** @type {Record<string, { mutantCoverage?: unknown } | undefined>} */ (/** @type {unknown} */ (globalThis))[process.env.STRYKER_NAMESPACE ?? '__stryker__'];
    if (namespace !== undefined) namespace.mutantCoverage = { static: all, perTest: {} };
  });
}
