import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INSTALLED_POLICY_CONFIGMAP } from '../install.ts';
import { UsageError, parseCommandLine } from './args.ts';

const INSTALLED = INSTALLED_POLICY_CONFIGMAP;
const parse = (...argv: string[]) => parseCommandLine(argv, {});

describe('the plugin\'s command line', () => {
  const good: { says: string; argv: string[]; options: Record<string, unknown> }[] = [
    {
      says: 'start takes a node and a reason, and the annotation key defaults to the policy\'s',
      argv: ['start', 'worker-3', '--reason', 'kernel 6.8 upgrade, OPS-4411'],
      options: { command: 'start', node: 'worker-3', reason: 'kernel 6.8 upgrade, OPS-4411', annotation: undefined, kubeconfig: undefined, context: undefined, policyConfigMap: INSTALLED },
    },
    {
      says: 'start takes --annotation, --kubeconfig and --context, before or after the node',
      argv: ['start', '--context', 'prod', 'worker-3', '--reason=fw', '--annotation', 'example.com/maintenance', '--kubeconfig', '/k'],
      options: { command: 'start', node: 'worker-3', reason: 'fw', annotation: 'example.com/maintenance', kubeconfig: '/k', context: 'prod', policyConfigMap: INSTALLED },
    },
    { says: 'end takes a node', argv: ['end', 'worker-3'], options: { command: 'end', node: 'worker-3', annotation: undefined, kubeconfig: undefined, context: undefined, policyConfigMap: INSTALLED } },
    { says: 'list prints a table by default', argv: ['list'], options: { command: 'list', output: 'table', annotation: undefined, kubeconfig: undefined, context: undefined, policyConfigMap: INSTALLED } },
    { says: 'list -o json prints JSON', argv: ['list', '-o', 'json'], options: { command: 'list', output: 'json', annotation: undefined, kubeconfig: undefined, context: undefined, policyConfigMap: INSTALLED } },
    { says: 'list -ojson and --output=json are the same', argv: ['list', '-ojson'], options: { command: 'list', output: 'json', annotation: undefined, kubeconfig: undefined, context: undefined, policyConfigMap: INSTALLED } },
    { says: 'culprits takes a file, a node and -o', argv: ['culprits', '--audit-log', 'a.log', '--node', 'worker-3', '--output=json'], options: { command: 'culprits', auditLog: 'a.log', node: 'worker-3', output: 'json' } },
    { says: 'who-can-uncordon prints a table by default', argv: ['who-can-uncordon'], options: { command: 'who-can-uncordon', output: 'table', kubeconfig: undefined, context: undefined, policyConfigMap: INSTALLED } },
    {
      says: 'who-can-uncordon takes -o json and the cluster flags, --policy-configmap among them',
      argv: ['who-can-uncordon', '-o', 'json', '--kubeconfig', 'k', '--context', 'c', '--policy-configmap', 'ops/guard-policy'],
      options: { command: 'who-can-uncordon', output: 'json', kubeconfig: 'k', context: 'c', policyConfigMap: { namespace: 'ops', name: 'guard-policy' } },
    },
    {
      says: 'list takes --policy-configmap, where cordon-guard reads its policy',
      argv: ['list', '--policy-configmap', 'ops/guard-policy'],
      options: { command: 'list', output: 'table', annotation: undefined, kubeconfig: undefined, context: undefined, policyConfigMap: { namespace: 'ops', name: 'guard-policy' } },
    },
  ];
  for (const row of good) {
    it(`reads that ${row.says}`, () => assert.deepEqual(parse(...row.argv), row.options));
  }

  const bad: { says: string; argv: string[]; message: RegExp }[] = [
    { says: 'start without --reason', argv: ['start', 'worker-3'], message: /start needs --reason TEXT/ },
    { says: 'start with an empty reason', argv: ['start', 'worker-3', '--reason', ''], message: /--reason must not be empty/ },
    { says: 'start with a reason of blanks', argv: ['start', 'worker-3', '--reason', '  \t'], message: /--reason must not be empty/ },
    { says: 'start without a node', argv: ['start', '--reason', 'x'], message: /start needs exactly one NODE, got 0/ },
    { says: 'start with two nodes', argv: ['start', 'a', 'b', '--reason', 'x'], message: /start needs exactly one NODE, got 2/ },
    { says: 'a node name that is not a DNS subdomain', argv: ['end', 'Worker_3'], message: /"Worker_3" is not a node name/ },
    { says: 'an annotation key that is not a qualified name', argv: ['start', 'n', '--reason', 'x', '--annotation', 'a/b/c'], message: /--annotation "a\/b\/c": must be a name/ },
    { says: 'an unknown flag', argv: ['end', 'n', '--force'], message: /Unknown option '--force'/ },
    { says: 'list with an argument', argv: ['list', 'worker-3'], message: /list takes no arguments/ },
    { says: 'list -o wide', argv: ['list', '-o', 'wide'], message: /-o must be table or json, got "wide"/ },
    { says: 'who-can-uncordon with an argument', argv: ['who-can-uncordon', 'node-1'], message: /who-can-uncordon takes no arguments, got "node-1"/ },
    { says: 'who-can-uncordon -o yaml', argv: ['who-can-uncordon', '-o', 'yaml'], message: /-o must be table or json, got "yaml"/ },
    { says: 'who-can-uncordon with --annotation (it reads the policy\'s allowlist, not a key)', argv: ['who-can-uncordon', '--annotation', 'a'], message: /Unknown option '--annotation'/ },
    { says: 'culprits with an empty --audit-log', argv: ['culprits', '--audit-log='], message: /culprits needs --audit-log FILE/ },
    { says: 'a --policy-configmap that is not NAMESPACE/NAME', argv: ['end', 'n', '--policy-configmap', 'guard-policy'], message: /--policy-configmap must be NAMESPACE\/NAME, got "guard-policy"/ },
    { says: 'culprits with --policy-configmap (it reads no cluster)', argv: ['culprits', '--audit-log', 'a.log', '--policy-configmap', 'a/b'], message: /Unknown option '--policy-configmap'/ },
  ];
  for (const row of bad) {
    it(`refuses ${row.says} as bad usage`, () => {
      assert.throws(() => parse(...row.argv), (err: unknown) => err instanceof UsageError && row.message.test(err.message));
    });
  }
});

describe('the plugin\'s policy ConfigMap from the environment', () => {
  it('takes CORDON_GUARD_POLICY_CONFIGMAP, and the flag wins over it', () => {
    const env = { CORDON_GUARD_POLICY_CONFIGMAP: 'ops/from-env' };
    assert.deepEqual((parseCommandLine(['start', 'n', '--reason', 'x'], env) as { policyConfigMap: unknown }).policyConfigMap, { namespace: 'ops', name: 'from-env' });
    assert.deepEqual((parseCommandLine(['start', 'n', '--reason', 'x', '--policy-configmap', 'ops/flag'], env) as { policyConfigMap: unknown }).policyConfigMap, { namespace: 'ops', name: 'flag' });
  });

  it('names the variable when its value is not NAMESPACE/NAME', () => {
    assert.throws(() => parseCommandLine(['list'], { CORDON_GUARD_POLICY_CONFIGMAP: 'nope' }), (err: unknown) => err instanceof UsageError && /^CORDON_GUARD_POLICY_CONFIGMAP must be NAMESPACE\/NAME/.test(err.message));
  });
});
