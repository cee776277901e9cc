// Preloaded into each test process of a Stryker target whose code runs in the server the tests spawn
// (stryker.config.mjs, coverage 'off'). The TAP runner reports the coverage it finds in the test process
// whatever coverageAnalysis says, and Stryker then trusts it: code that only the spawned server runs
// looked covered by no test, and every mutant there came out "NoCoverage" without being run. Marking
// every mutant as hit outside any test ("static" coverage) makes Stryker run each one against all the
// target's test files instead, which is what 'off' means. The count is huge so that Stryker's hit limit
// (a hundred times the hits of the initial run) never cuts a test short.
const namespace = process.env.STRYKER_NAMESPACE ?? '__stryker__';
const MUTANT_IDS = 20_000;
const HITS = 1e12;
const stryker = (globalThis[namespace] ??= {});
const coverage = (stryker.mutantCoverage ??= { static: {}, perTest: {} });
for (let id = 0; id < MUTANT_IDS; id++) coverage.static[String(id)] = HITS;
