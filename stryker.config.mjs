// Mutation testing of the pure core: the policy engine (src/policy), the wire module
// (src/admission) and the text module (src/text).
// Run: `npx stryker run` (the Makefile's `mutation` target). Reports land in reports/mutation/.
//
// Test runner: @stryker-mutator/tap-runner. Node's own test runner prints TAP with
// `--test-reporter=tap`, and Node 24 runs the .ts test files directly (type stripping), so no
// build step is needed. The tap runner gives per-test-file coverage, so a mutant only runs the
// test files that reach it, and the first failing file kills it.

// The property test covers almost every mutant: keep each of its properties cheap here
// (`make test` runs 20,000 per property, `make fuzz` 200,000).
process.env.CORDON_GUARD_PROPERTY_RUNS ??= '200';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  plugins: ['@stryker-mutator/tap-runner'],
  coverageAnalysis: 'perTest',
  tap: {
    // The tests beside the pure core: the policy engine, the wire module and the text module.
    testFiles: ['src/policy/*.test.ts', 'src/admission/*.test.ts', 'src/text/*.test.ts'],
    nodeArgs: ['--test-reporter=tap'],
    forceBail: true,
  },
  // The whole pure core, with no file left out by name; only tests are not mutated.
  mutate: ['src/policy/**/*.ts', 'src/admission/**/*.ts', 'src/text/**/*.ts', '!**/*.test.ts'],
  // The sandbox holds only what the tests read: the sources, package.json (for "type": "module")
  // and the example policy. node_modules is symlinked into it, never copied.
  ignorePatterns: ['/*', '!/src', '!/testkit', '!/examples', '!/package.json', '!/tsconfig.json'],
  symlinkNodeModules: true,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  concurrency: 2,
  timeoutMS: 10000,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 95, low: 90, break: 90 },
};
