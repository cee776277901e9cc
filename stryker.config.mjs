// Mutation testing of the security checks (docs/testing.md). `npm run mutate [target...]`
// runs scripts/mutate.mjs, which runs Stryker once per target below (LATCHKEY_MUTATE_GROUP).
//
// Pure code (src/sigv4, src/iam) is exercised in-process, so Stryker's per-test-file
// coverage picks which test files can kill each mutant. Code that runs in the server the
// tests spawn (it inherits __STRYKER_ACTIVE_MUTANT__ from the test process, so the mutant
// is live there) reports no coverage back: every mutant there runs the target's test
// files, cheapest first, until one fails (coverageAnalysis 'off').

const SIGV4_FAST = ['test/sigv4/verify-edges.test.ts', 'test/sigv4/negative.test.ts', 'test/sigv4/signature-tamper.test.ts', 'test/sigv4/amz-date.test.ts'];
const LINK_TESTS = [
  // In-process first (a second or two per mutant), then the files that spawn a server.
  'test/links/identity-edges.test.ts',
  'test/links/memo-edges.test.ts',
  'test/links/guard-edges.test.ts',
  'test/links/service-edges.test.ts',
  'test/links/service-admit-edges.test.ts',
  'test/links/audit-edges.test.ts',
  'test/links/link-params.test.ts',
  'test/links/link-guard.test.ts',
  'test/links/source-ip.test.ts',
  'test/links/max-uses.test.ts',
  'test/links/revocation.test.ts',
  'test/links/audit-retention.test.ts',
  'test/links/audit-cli.test.ts',
];

/**
 * One target per security-critical file, each with the test files that can kill
 * its mutants, cheapest first (a mutant stops at the first failing file).
 * @type {Record<string, { mutate: string[]; tests: string[]; coverageAnalysis: 'perTest' | 'off' }>}
 */
export const GROUPS = {
  verify: {
    mutate: ['src/sigv4/verify.ts'],
    tests: [...SIGV4_FAST, 'test/sigv4/verified-cache.test.ts', 'test/sigv4/presign-parity.test.ts', 'test/sigv4/sdk-verify.test.ts'],
    coverageAnalysis: 'perTest',
  },
  parse: {
    mutate: ['src/sigv4/parse.ts'],
    // Not presign-parity (boto3 subprocesses) nor fuzz (seconds per run): with them a run took about an hour on two shared cores;
    // what only they caught is pinned by targeted tests instead (docs/testing.md).
    tests: ['test/sigv4/parse-edges.test.ts', ...SIGV4_FAST, 'test/sigv4/sdk-verify.test.ts'],
    coverageAnalysis: 'perTest',
  },
  sigv2: {
    mutate: ['src/sigv4/sigv2.ts'],
    // The in-process edges first: the client files (boto3, aws CLI) take seconds per mutant.
    tests: ['test/sigv4/sigv2-edges.test.ts', 'test/sigv4/signature-tamper.test.ts', 'test/sigv4/sigv2.test.ts'],
    coverageAnalysis: 'perTest',
  },
  chunked: {
    mutate: ['src/sigv4/chunked.ts'],
    tests: ['test/sigv4/chunked-edges.test.ts', 'test/sigv4/signature-tamper.test.ts', 'test/sigv4/chunked.test.ts', 'test/sigv4/checksums.test.ts'],
    coverageAnalysis: 'perTest',
  },
  'verified-cache': {
    mutate: ['src/s3/verified-cache.ts'],
    tests: ['test/sigv4/verified-cache.test.ts', 'test/s3/auth-cache.test.ts', 'test/s3/verified-cache.test.ts'],
    // The last file exercises the cache inside the server it spawns, where no coverage is reported.
    coverageAnalysis: 'off',
  },
  iam: {
    mutate: ['src/iam/policy-evaluate.ts', 'src/iam/policy-conditions.ts'],
    tests: ['test/iam/edges.test.ts', 'test/iam/evaluate.test.ts', 'test/iam/conditions.test.ts', 'test/iam/public-actions.test.ts', 'test/iam/parse.test.ts', 'test/iam/matchers.test.ts'],
    coverageAnalysis: 'perTest',
  },
  auth: {
    mutate: ['src/s3/auth.ts', 'src/s3/authorize.ts'],
    // In-process files first (seconds per mutant); the server ones after.
    tests: ['test/s3/auth-edges.test.ts', 'test/s3/authorize-edges.test.ts', 'test/s3/auth-cache.test.ts', 'test/s3/authorize-tags.test.ts', 'test/s3/verified-cache.test.ts', 'test/identity/restricted-user.test.ts', 'test/identity/bucket-policy.test.ts', 'test/identity/sts.test.ts'],
    coverageAnalysis: 'off',
  },
  post: {
    mutate: ['src/s3/post-object/*.ts'],
    tests: ['test/presign/form-edges.test.ts', 'test/presign/post-response-edges.test.ts', 'test/presign/post-policy-edges.test.ts', 'test/presign/post-auth-edges.test.ts', 'test/presign/post-object-edges.test.ts', 'test/presign/post-object.test.ts', 'test/presign/post-auth.test.ts', 'test/presign/post-policy.test.ts', 'test/presign/post-streaming.test.ts'],
    coverageAnalysis: 'off',
  },
  links: {
    mutate: ['src/links/*.ts'],
    tests: LINK_TESTS,
    coverageAnalysis: 'off',
  },
};

const groupName = process.env.LATCHKEY_MUTATE_GROUP ?? 'verify';
const group = GROUPS[groupName];
if (group === undefined) throw new Error(`unknown mutation group ${groupName}: one of ${Object.keys(GROUPS).join(', ')}`);
// LATCHKEY_MUTATE_LINES='src/sigv4/parse.ts:68-70 src/sigv4/parse.ts:105' re-checks only those lines (the survivors of a
// full run, once tests were added for them), reported apart as <target>-lines.
const lines = process.env.LATCHKEY_MUTATE_LINES?.split(/\s+/).filter((range) => range !== '');
const mutate = lines === undefined || lines.length === 0 ? group.mutate : lines;
const name = mutate === group.mutate ? groupName : `${groupName}-lines`;
// LATCHKEY_MUTATE_TESTS='test/a.test.ts test/b.test.ts' runs only those test files (with LATCHKEY_MUTATE_LINES: the new tests).
const only = process.env.LATCHKEY_MUTATE_TESTS?.split(/\s+/).filter((file) => file !== '');
const testFiles = only === undefined || only.length === 0 ? group.tests : only;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  plugins: ['@stryker-mutator/tap-runner'],
  // For 'off' targets, scripts/stryker-cover-all.mjs makes every mutant run the test files (the tap runner would otherwise
  // skip, as NoCoverage, every mutant the test process did not reach itself, such as those only the spawned server runs).
  tap: {
    testFiles,
    nodeArgs: group.coverageAnalysis === 'off' ? ['--import', './scripts/stryker-cover-all.mjs', '--import', 'tsx'] : ['--import', 'tsx'],
    forceBail: true,
  },
  mutate,
  coverageAnalysis: group.coverageAnalysis,
  // Two cores shared with other work: one test process at a time.
  concurrency: 1,
  timeoutMS: 20_000,
  timeoutFactor: 2,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  tempDirName: `.stryker-tmp/${name}`,
  cleanTempDir: 'always',
  thresholds: { high: 95, low: 90, break: null },
  ignorePatterns: ['dist', 'reports', 'data', 'test-artifacts', '.tmp', 'bench', 'examples', 'console/dist'],
};
