// Mutation testing of the policy engine (src/policy) and the wire module (src/admission).
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
    // The pure tests beside the policy engine and the wire module. fileSource.test.ts exercises
    // file watching (I/O), and fileSource.ts is not mutated, so it is left out.
    testFiles: ['src/policy/!(fileSource).test.ts', 'src/admission/*.test.ts'],
    nodeArgs: ['--test-reporter=tap'],
    forceBail: true,
  },
  mutate: [
    'src/policy/**/*.ts',
    'src/admission/**/*.ts',
    '!**/*.test.ts',
    // These three do I/O (file watching, the Kubernetes API, hot reload); the end-to-end and
    // server suites test them, not the unit tests above.
    '!src/policy/fileSource.ts',
    '!src/policy/configMapSource.ts',
    '!src/policy/store.ts',
  ],
  // The sandbox holds only what the tests read: the sources, package.json (for "type": "module")
  // and the example policy. node_modules is symlinked into it, never copied.
  ignorePatterns: ['/*', '!/src', '!/examples', '!/package.json', '!/tsconfig.json'],
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
