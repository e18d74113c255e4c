import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { USAGE, UsageError, parseCommandLine, usageOf, type ServeOptions } from './args.ts';

const TLS = ['--tls-cert', 'c.pem', '--tls-key', 'k.pem'];
const serve = (args: string[], env: NodeJS.ProcessEnv = {}): ServeOptions => parseCommandLine(['serve', ...args], env) as ServeOptions;

describe('serve flags that are refused', () => {
  const refused: [string, string[], NodeJS.ProcessEnv, RegExp][] = [
    ['--events and --no-events together contradict each other', [...TLS, '--events', '--no-events'], {}, /--events and --no-events contradict/],
    ['the two Events variables both true contradict each other', TLS, { CORDON_GUARD_EVENTS: 'true', CORDON_GUARD_NO_EVENTS: 'true' }, /CORDON_GUARD_EVENTS and CORDON_GUARD_NO_EVENTS/],
    ['--self-signed-ca-file with --tls-cert would be ignored', [...TLS, '--self-signed-ca-file', 'ca.crt'], {}, /--self-signed-ca-file only applies with --self-signed/],
    ['--kubeconfig without a ConfigMap or Events would be ignored', [...TLS, '--kubeconfig', 'kc'], {}, /--kubeconfig is only used with/],
    ['--kubeconfig with --no-events and a policy file would be ignored', [...TLS, '--kubeconfig', 'kc', '--no-events', '--policy-file', 'p.yaml'], {}, /--kubeconfig is only used with/],
    ['--drain-seconds in hex is not a number of seconds', [...TLS, '--drain-seconds', '0x10'], {}, /--drain-seconds must be a number of seconds/],
    ['--drain-seconds with an exponent is not a number of seconds', [...TLS, '--drain-seconds', '1e3'], {}, /--drain-seconds/],
    ['--drain-seconds negative is refused', [...TLS, '--drain-seconds', '-1'], {}, /--drain-seconds/],
    ['--drain-seconds empty-ish with spaces is refused', [...TLS, '--drain-seconds', ' 5'], {}, /--drain-seconds/],
    ['a port in hex is refused', [...TLS, '--port', '0x10'], {}, /--port must be a port number/],
    ['a port above 65535 is refused', [...TLS, '--port', '65536'], {}, /--port must be a port number/],
    ['--self-signed with --tls-cert is refused', ['--self-signed', ...TLS], {}, /mutually exclusive/],
    ['no TLS at all is refused', [], {}, /give --tls-secret NAMESPACE\/NAME .*both --tls-cert and --tls-key/],
    ['--tls-secret with --tls-cert is refused', ['--tls-secret', 'cordon-guard/cordon-guard-tls', ...TLS], {}, /--tls-secret, --tls-cert\/--tls-key and --self-signed are mutually exclusive/],
    ['--tls-secret with --self-signed is refused', ['--tls-secret', 'cordon-guard/cordon-guard-tls', '--self-signed'], {}, /mutually exclusive/],
    ['--tls-secret that is not NAMESPACE/NAME is refused', ['--tls-secret', 'cordon-guard-tls'], {}, /--tls-secret must be NAMESPACE\/NAME/],
    ['--service without --tls-secret would be ignored', [...TLS, '--service', 'svc'], {}, /--service only applies with --tls-secret/],
    ['--service that is no Service name is refused', ['--tls-secret', 'a/b', '--service', 'Bad.Name'], {}, /--service must be a Service name/],
    ['--webhook-configuration that is no object name is refused', [...TLS, '--webhook-configuration', 'Bad'], {}, /--webhook-configuration must be an object name/],
    ['a policy file and a ConfigMap together are refused', [...TLS, '--policy-file', 'p', '--policy-configmap', 'a/b'], {}, /mutually exclusive/],
    ['a ConfigMap that is not NAMESPACE/NAME is refused', [...TLS, '--policy-configmap', 'Bad'], {}, /NAMESPACE\/NAME/],
    ['an unknown log level is refused', [...TLS, '--log-level', 'loud'], {}, /--log-level/],
    ['a boolean variable that is not a boolean is refused', TLS, { CORDON_GUARD_EVENTS: 'sometimes' }, /CORDON_GUARD_EVENTS must be true or false/],
    ['an unknown flag is refused', [...TLS, '--no-such-flag'], {}, /no-such-flag/],
  ];
  for (const [name, args, env, message] of refused) {
    it(name, () => assert.throws(() => serve(args, env), (err: unknown) => err instanceof UsageError && message.test(err.message)));
  }
});

describe('serve flags that are accepted', () => {
  it('--drain-seconds takes whole and decimal seconds', () => {
    assert.equal(serve([...TLS, '--drain-seconds', '0.5']).drainSeconds, 0.5);
    assert.equal(serve([...TLS, '--drain-seconds', '12']).drainSeconds, 12);
  });

  it('a flag wins over the environment, also for Events', () => {
    assert.equal(serve([...TLS, '--no-events'], { CORDON_GUARD_EVENTS: 'true' }).events, false);
    assert.equal(serve([...TLS, '--events'], { CORDON_GUARD_NO_EVENTS: 'true' }).events, true);
    assert.equal(serve([...TLS, '--port', '9000'], { CORDON_GUARD_PORT: '8000' }).port, 9000);
  });

  it('Events are left to the default when neither flag nor variable says', () => {
    assert.equal(serve(TLS).events, undefined);
    assert.equal(serve(TLS, { CORDON_GUARD_NO_EVENTS: 'true' }).events, false);
  });

  it('--kubeconfig is accepted with a ConfigMap or with --events', () => {
    assert.equal(serve([...TLS, '--kubeconfig', 'kc', '--policy-configmap', 'cordon-guard/cordon-guard-policy']).kubeconfig, 'kc');
    assert.equal(serve([...TLS, '--kubeconfig', 'kc', '--events']).kubeconfig, 'kc');
  });

  it('--tls-secret names the Secret, in the namespace of the Service, whose name defaults to cordon-guard; CORDON_GUARD_TLS_SECRET too', () => {
    assert.deepEqual(serve(['--tls-secret', 'cordon-guard/cordon-guard-tls']).tls, { kind: 'secret', namespace: 'cordon-guard', name: 'cordon-guard-tls', service: 'cordon-guard' });
    assert.deepEqual(serve(['--service', 'guard'], { CORDON_GUARD_TLS_SECRET: 'ops/guard-tls' }).tls, { kind: 'secret', namespace: 'ops', name: 'guard-tls', service: 'guard' });
    assert.equal(serve(['--tls-secret', 'a/b', '--kubeconfig', 'kc']).kubeconfig, 'kc');
  });

  it('--webhook-configuration defaults to cordon-guard', () => {
    assert.equal(serve(TLS).webhookConfiguration, 'cordon-guard');
    assert.equal(serve([...TLS, '--webhook-configuration', 'guard']).webhookConfiguration, 'guard');
  });

  it('--self-signed-ca-file is taken with --self-signed', () => {
    assert.deepEqual(serve(['--self-signed', '--self-signed-ca-file', 'ca.crt']).tls, { kind: 'self-signed', caFile: 'ca.crt' });
  });

  it('the defaults, from nothing but TLS files', () => {
    const options = serve(TLS);
    assert.deepEqual(
      { host: options.host, port: options.port, metricsPort: options.metricsPort, drainSeconds: options.drainSeconds, logLevel: options.logLevel, policy: options.policy },
      { host: undefined, port: 9443, metricsPort: 8080, drainSeconds: 5, logLevel: 'info', policy: { kind: 'defaults' } },
    );
  });
});

describe('help and version, as kubectl takes them', () => {
  const helps: [string, string[], string | undefined][] = [
    ['help alone is the whole usage', ['help'], undefined],
    ['--help alone is the whole usage', ['--help'], undefined],
    ['-h alone is the whole usage', ['-h'], undefined],
    ['help COMMAND is that command\'s', ['help', 'serve'], 'serve'],
    ['serve --help is serve\'s, whatever else is given', ['serve', '--port', 'x', '--help'], 'serve'],
    ['check -h is check\'s', ['check', '-h'], 'check'],
    ['start --help is start\'s, without a node', ['start', '--help'], 'start'],
    ['end, list and culprits take --help too', ['culprits', '--help'], 'culprits'],
    ['version --help is version\'s', ['version', '--help'], 'version'],
  ];
  for (const [says, argv, topic] of helps) {
    it(`reads that ${says}`, () => assert.deepEqual(parseCommandLine(argv, {}), { command: 'help', topic }));
  }

  it('reads --help after -- as an argument, not a request for help', () => {
    assert.throws(() => parseCommandLine(['list', '--', '--help'], {}), UsageError);
  });

  it('reads version and --version', () => {
    assert.deepEqual(parseCommandLine(['version'], {}), { command: 'version' });
    assert.deepEqual(parseCommandLine(['--version'], {}), { command: 'version' });
    assert.throws(() => parseCommandLine(['version', 'now'], {}), UsageError);
  });

  it('refuses help on something that is not a command', () => {
    assert.throws(() => parseCommandLine(['help', 'frobnicate'], {}), (err: unknown) => err instanceof UsageError && /not a command/.test(err.message));
  });

  it('the usage names every command, the cluster flags and the exit codes; one command\'s usage names only it', () => {
    for (const command of ['serve', 'check', 'start', 'end', 'list', 'culprits', 'version', 'help']) assert.match(USAGE, new RegExp(`^  cordon-guard ${command} `, 'm'));
    for (const code of [0, 1, 2, 3, 4, 5, 6]) assert.match(USAGE, new RegExp(`^  ${code}  \\S`, 'm'));
    assert.match(USAGE, /--policy-configmap NAMESPACE\/NAME/);
    const start = usageOf('start');
    assert.match(start, /^ {2}cordon-guard start /m);
    assert.doesNotMatch(start, /cordon-guard (serve|check|end|list|culprits) /);
    assert.match(start, /CLUSTER FLAGS/);
    assert.match(start, /^exit codes:/m);
    assert.doesNotMatch(usageOf('culprits'), /CLUSTER FLAGS/);
    assert.equal(usageOf('frobnicate'), USAGE);
  });
});
