// What the end-to-end suites' simulated pods read from the Dockerfile as the image's config
// (testkit/e2e/image.ts): the final stage's ENTRYPOINT, CMD, ENV, WORKDIR and USER.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { imageConfigFromDockerfile, localImage } from '../../testkit/e2e/image.ts';
import { deploymentEnv, entrypoint } from '../../testkit/manifests.ts';

describe("the simulated pods' image config", () => {
  test("this repository's image runs node dist/main.js serve in /app as 65532, with the image's environment", () => {
    const { config } = localImage();
    assert.deepEqual(config.entrypoint, entrypoint());
    assert.deepEqual(config.cmd, []);
    assert.deepEqual(config.env, deploymentEnv());
    assert.equal(config.env.NODE_ENV, 'production');
    assert.equal(config.workdir, '/app');
    assert.equal(config.user, '65532:65532');
  });

  test("the image's node is the tests' Node, its WORKDIR the checkout", () => {
    const image = localImage();
    assert.equal(image.hostPath('/nodejs/bin/node'), process.execPath);
    assert.equal(image.hostPath('/app/dist/main.js'), new URL('../../dist/main.js', import.meta.url).pathname);
    assert.equal(image.hostPath('/bin/sh'), '/bin/sh');
  });

  const cases: { name: string; dockerfile: string; expected: Partial<ReturnType<typeof imageConfigFromDockerfile>> }[] = [
    {
      name: 'only the final stage counts: a build stage sets nothing of the image',
      dockerfile: 'FROM a AS build\nENV A=1\nWORKDIR /src\nUSER 1\nFROM b\nCMD ["run"]\n',
      expected: { entrypoint: [], cmd: ['run'], env: {}, workdir: '/', user: undefined },
    },
    {
      name: 'an ENTRYPOINT drops the CMD set before it, and a later CMD is kept',
      dockerfile: 'FROM b\nCMD ["old"]\nENTRYPOINT ["/bin/app"]\nCMD ["--flag"]\n',
      expected: { entrypoint: ['/bin/app'], cmd: ['--flag'] },
    },
    {
      name: 'the shell form runs under /bin/sh -c',
      dockerfile: 'FROM b\nENTRYPOINT exec app --x\n',
      expected: { entrypoint: ['/bin/sh', '-c', 'exec app --x'] },
    },
    {
      name: 'ENV takes several pairs, quoted values and continued lines; a relative WORKDIR builds on the last',
      dockerfile: 'FROM b\n# a comment\nENV A=1 \\\n    B="two words" C=\nWORKDIR /app\nWORKDIR sub\n',
      expected: { env: { A: '1', B: 'two words', C: '' }, workdir: '/app/sub' },
    },
  ];
  for (const { name, dockerfile, expected } of cases) {
    test(name, () => {
      const config = imageConfigFromDockerfile(dockerfile);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(config[key as keyof typeof config], value, key);
    });
  }

  test('an ENV that is not KEY=VALUE pairs is an error, not a guess', () => {
    assert.throws(() => imageConfigFromDockerfile('FROM b\nENV A 1\n'), /ENV A 1 is not KEY=VALUE pairs/);
  });
});
