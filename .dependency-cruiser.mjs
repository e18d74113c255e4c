// Import cycles and layering, checked on the resolved module graph (`make lint`).
// The pure core (src/policy, src/admission, src/text, src/webhooks) does no I/O and knows no framework;
// only src/kube talks to the API server; nothing under src/ is test-only.
const PURE_CORE = '^src/(policy|admission|text|webhooks)/';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'An import cycle: split the shared part out.', from: {}, to: { circular: true } },
    {
      name: 'pure-core-no-io',
      severity: 'error',
      comment: 'src/policy, src/admission and src/text are pure: no node:* modules, no logger, metrics, HTTP or API client.',
      from: { path: PURE_CORE, pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'pure-core-no-frameworks',
      severity: 'error',
      comment: 'The pure core must not import pino, prom-client, express or @kubernetes/client-node.',
      from: { path: PURE_CORE, pathNot: '\\.test\\.ts$' },
      to: { path: '(^|/)node_modules/(pino|prom-client|express|@kubernetes/client-node)/' },
    },
    {
      name: 'pure-core-stays-in-the-core',
      severity: 'error',
      comment: 'The pure core imports only itself (and pure libraries), never the server, sources, kube or observability.',
      from: { path: PURE_CORE, pathNot: '\\.test\\.ts$' },
      to: { path: '^src/', pathNot: PURE_CORE },
    },
    {
      name: 'fleet-is-pure',
      severity: 'error',
      comment: 'src/fleet (what the node watch keeps and counts) is pure: no node:* modules, no frameworks; it reads the pure core and the start record.',
      from: { path: '^src/fleet/', pathNot: '\\.test\\.ts$' },
      to: { pathNot: '^src/(fleet|policy|admission|text)/|^src/plugin/startRecord\\.ts$' },
    },
    {
      name: 'only-kube-imports-client-node',
      severity: 'error',
      comment: 'Only src/kube/ talks to the API server.',
      from: { path: '^src/', pathNot: '^src/kube/' },
      to: { path: '(^|/)node_modules/@kubernetes/client-node/' },
    },
    {
      name: 'cli-and-plugin-load-no-logger',
      severity: 'error',
      comment: 'The command line and the plugin commands run without pino: the log levels live in src/observability/logLevels.ts.',
      from: { path: '^src/(cli|plugin)/', pathNot: '\\.test\\.ts$' },
      to: { path: ['(^|/)node_modules/pino/', '^src/observability/logger\\.ts$'] },
    },
    {
      name: 'src-is-not-test-code',
      severity: 'error',
      comment: 'Nothing under src/ depends on the test kit, tests or the bench.',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(testkit|test|bench)/' },
    },
    {
      name: 'tests-share-only-the-kit',
      severity: 'error',
      comment: 'Tests, soak and bench import helpers from testkit/, never from each other.',
      from: { path: '^(test|bench)/' },
      to: { path: '^(test|bench)/', pathNot: '^$1/' },
    },
    {
      name: 'kit-is-not-a-test',
      severity: 'error',
      comment: 'The test kit does not import tests or the bench.',
      from: { path: '^testkit/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|\\.tools|\\.stryker-tmp|reports)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
