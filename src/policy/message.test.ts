import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeNode } from '../../testkit/fixtures.ts';
import { policyWith } from '../../testkit/policies.ts';
import { requestOf } from '../../testkit/requests.ts';
import { evaluate } from './engine.ts';
import { ANNOTATION_VALUE_MAX_CHARS, MESSAGE_MAX_CHARS, WARNING_MAX_BYTES } from './message.ts';
import type { PolicySettings } from './types.ts';

function violationFor(
  { node = 'worker-3', user = 'mallory', value = 'reason', cordonedAfter = false }: { node?: string; user?: string; value?: string; cordonedAfter?: boolean },
  settings: Partial<PolicySettings> = {},
): { message: string; warning: string } {
  const annotations = { 'cordon-guard.io/maintenance': value };
  const evaluation = evaluate(
    requestOf({
      username: user,
      oldObject: makeNode({ name: node, cordoned: true, annotations }),
      object: makeNode({ name: node, cordoned: cordonedAfter, annotations: cordonedAfter ? null : annotations }),
    }),
    policyWith(settings),
  );
  assert.equal(evaluation.verdict, 'violation');
  return evaluation;
}

const HOSTILE = 'a\u0000b\nc\r\td\u001b[31me\u200ff\u202eg\u2028h';

describe('the message M', () => {
  it('names webhook, node, requester, violation, annotation and way out, in that order', () => {
    const { message } = violationFor({ node: 'gpu-7', user: 'system:serviceaccount:gpu-operator:driver-manager', value: 'driver 550' });
    const order = ['cordon-guard', '"gpu-7"', '"system:serviceaccount:gpu-operator:driver-manager"', 'under maintenance', 'cordon-guard.io/maintenance="driver 550"', 'remove the annotation first'];
    const positions = order.map((part) => message.indexOf(part));
    assert.ok(positions.every((p) => p >= 0), `missing part in ${message}`);
    assert.deepEqual([...positions].sort((a, b) => a - b), positions);
  });

  it('cuts the annotation value to 120 characters', () => {
    const value = `${'x'.repeat(ANNOTATION_VALUE_MAX_CHARS)}TAIL`;
    const { message } = violationFor({ value });
    assert.ok(message.includes(`="${'x'.repeat(ANNOTATION_VALUE_MAX_CHARS)}"`));
    assert.ok(!message.includes('TAIL'));
  });

  it('drops control characters before cutting, so 120 printable characters remain', () => {
    const value = '\u0007'.repeat(50) + 'y'.repeat(200);
    const { message } = violationFor({ value });
    assert.ok(message.includes(`="${'y'.repeat(ANNOTATION_VALUE_MAX_CHARS)}"`));
  });

  it('is one printable line whatever the node, user and value contain', () => {
    const { message, warning } = violationFor({ node: `n${HOSTILE}`, user: `u${HOSTILE}`, value: `v${HOSTILE}` });
    for (const text of [message, warning]) {
      assert.doesNotMatch(text, /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u, JSON.stringify(text));
      assert.ok(text.includes('"nabcdefgh"') || text.includes('"nabcd[31mefgh"'), text);
    }
  });

  it('stays within 1024 characters with huge names and values', () => {
    const { message } = violationFor({ node: 'n'.repeat(5000), user: 'u'.repeat(5000), value: 'v'.repeat(5000) });
    assert.ok(message.length <= MESSAGE_MAX_CHARS, String(message.length));
    assert.ok(message.startsWith('cordon-guard denied uncordon of node "nnn'));
  });

  it('never splits a surrogate pair when cutting', () => {
    const { message, warning } = violationFor({ node: '🚀'.repeat(400), user: '🚀'.repeat(400), value: '🚀'.repeat(400) });
    for (const text of [message, warning]) assert.doesNotMatch(text, /\p{Cs}/u);
    assert.ok(Buffer.byteLength(warning) <= WARNING_MAX_BYTES);
  });

  it('escapes quotes in names so the quoted parts stay unambiguous', () => {
    const { message } = violationFor({ node: 'a"b', user: 'c\\d' });
    assert.ok(message.includes('node "a\\"b" by "c\\\\d"'), message);
  });

  it('names guardAllCordons and the missing annotation for cordon-guarded', () => {
    const evaluation = evaluate(
      requestOf({ username: 'x', oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: false }) }),
      policyWith({ guardAllCordons: true }),
    );
    assert.equal(evaluation.verdict, 'violation');
    assert.match(evaluation.message, /^cordon-guard denied uncordon of node "worker-3" by "x": node is cordoned and guardAllCordons is on \(no cordon-guard\.io\/maintenance annotation\)/);
  });

  it('says removal of the maintenance annotation for annotation-removal', () => {
    const { message } = violationFor({ cordonedAfter: true }, { guardAnnotationRemoval: true });
    assert.match(message, /^cordon-guard denied removal of the maintenance annotation from node "worker-3" by "mallory": /);
  });
});

describe('the warning W', () => {
  it('is at most 256 bytes even with long names', () => {
    const { warning } = violationFor({ node: 'n'.repeat(300), user: 'u'.repeat(300), value: 'v'.repeat(300) }, { mode: 'warn' });
    assert.ok(Buffer.byteLength(warning) <= WARNING_MAX_BYTES, String(Buffer.byteLength(warning)));
    assert.ok(warning.startsWith('node "nnn'));
  });
});

describe('ownership messages', () => {
  it('names the owner when another requester tries to uncordon under guardAllCordons', () => {
    const evaluation = evaluate(
      requestOf({
        username: 'system:serviceaccount:system-upgrade:system-upgrade',
        oldObject: makeNode({ cordoned: true, annotations: { 'cordon-guard.io/cordoned-by': '{"user":"admin","at":"2026-11-28T06:00:00Z","v":2}' } }),
        object: makeNode({ cordoned: false }),
      }),
      policyWith({ guardAllCordons: true }),
    );
    assert.equal(evaluation.verdict, 'violation');
    assert.match(evaluation.message, /cordoned by "admin" at "2026-11-28T06:00:00Z"\); only the requester who cordoned it or allowlisted requesters may uncordon it/);
    assert.match(evaluation.warning, /^node "worker-3" uncordon by "system:serviceaccount:system-upgrade:system-upgrade" .*cordoned by "admin"/);
  });

  it('says what the stamp is for on tampering', () => {
    const evaluation = evaluate(
      requestOf({ username: 'mallory', oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: true, annotations: { 'cordon-guard.io/cordoned-by': '{"user":"mallory","at":"x"}' } }) }),
      policyWith(),
    );
    assert.equal(evaluation.verdict, 'violation');
    assert.match(evaluation.message, /^cordon-guard denied change of the cordon-guard\.io\/cordoned-by stamp on node "worker-3" by "mallory": the stamp records who cordoned the node and only cordon-guard writes it/);
  });
});

// Added with mutation testing (issue 6): the wording of every violation, M and W.
describe('every violation in words', () => {
  const STAMP_KEY = 'cordon-guard.io/cordoned-by';
  const ADMIN_STAMP = '{"user":"admin","at":"2026-11-28T06:00:00Z","v":2}';
  const evaluated = (review: Parameters<typeof requestOf>[0], settings: Partial<PolicySettings> = {}) => {
    const evaluation = evaluate(requestOf({ username: 'mallory', ...review }), policyWith(settings));
    assert.equal(evaluation.verdict, 'violation');
    return evaluation.verdict === 'violation' ? evaluation : { message: '', warning: '' };
  };

  it('annotation-removal: M names the removal, the annotation and that only allowlisted requesters may end maintenance', () => {
    const { message, warning } = violationFor({ cordonedAfter: true, value: 'ticket 9' }, { guardAnnotationRemoval: true });
    assert.equal(
      message,
      'cordon-guard denied removal of the maintenance annotation from node "worker-3" by "mallory": removing the maintenance annotation is guarded ' +
        '(cordon-guard.io/maintenance="ticket 9"); only allowlisted requesters may end maintenance (policy cordon-guard/cordon-guard-policy)',
    );
    assert.equal(warning, 'node "worker-3" maintenance annotation removal by "mallory" would be denied by cordon-guard in enforce mode: guardAnnotationRemoval is on');
  });

  it('stamp-tampering: M says what the stamp is for and the way out, W names the stamp key', () => {
    const { message, warning } = evaluated({ oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: true, annotations: { [STAMP_KEY]: ADMIN_STAMP } }) });
    assert.equal(
      message,
      'cordon-guard denied change of the cordon-guard.io/cordoned-by stamp on node "worker-3" by "mallory": the stamp records who cordoned the node and only ' +
        'cordon-guard writes it (no cordon-guard.io/maintenance annotation); only allowlisted requesters may change it (policy cordon-guard/cordon-guard-policy); ' +
        'cordon or uncordon the node instead',
    );
    assert.equal(warning, 'node "worker-3" cordon stamp change by "mallory" would be denied by cordon-guard in enforce mode: only cordon-guard writes cordon-guard.io/cordoned-by');
  });

  it('cordon-guarded without a stamp: only allowlisted requesters may uncordon, no owner is offered', () => {
    const { message } = evaluated({ oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: false }) }, { guardAllCordons: true });
    assert.ok(message.endsWith('(no cordon-guard.io/maintenance annotation); only allowlisted requesters may uncordon it (policy cordon-guard/cordon-guard-policy)'), message);
  });

  it('cordon-guarded with allowCordonOwner off names the owner but does not offer them the way out', () => {
    const { message } = evaluated(
      { oldObject: makeNode({ cordoned: true, annotations: { [STAMP_KEY]: ADMIN_STAMP } }), object: makeNode({ cordoned: false }) },
      { guardAllCordons: true, allowCordonOwner: false },
    );
    assert.ok(message.includes('cordoned by "admin" at "2026-11-28T06:00:00Z"); only allowlisted requesters may uncordon it'), message);
  });

  it('warn and audit modes say "would deny" in M, enforce and preserve say "denied"', () => {
    for (const mode of ['warn', 'audit'] as const) {
      assert.match(violationFor({}, { mode }).message, /^cordon-guard would deny uncordon of node "worker-3" by "mallory": /);
    }
    for (const mode of ['enforce', 'preserve'] as const) {
      assert.match(violationFor({}, { mode }).message, /^cordon-guard denied uncordon of node "worker-3" by "mallory": /);
    }
  });

  it('stale-stamp on an uncordon: M names the stamp, the owner it would go on naming, why, and the way out, and says "denied" even in warn mode', () => {
    const { message, warning } = evaluated(
      { oldObject: makeNode({ cordoned: true, annotations: { [STAMP_KEY]: ADMIN_STAMP } }), object: makeNode({ cordoned: false, annotations: { [STAMP_KEY]: ADMIN_STAMP } }) },
      { mode: 'warn' },
    );
    assert.equal(
      message,
      'cordon-guard denied uncordon of node "worker-3" by "mallory": the node would not be cordoned and still carry the cordon-guard.io/cordoned-by stamp, ' +
        'which would then name the owner of a later cordon that /mutate missed (no cordon-guard.io/maintenance annotation; cordoned by "admin" at ' +
        '"2026-11-28T06:00:00Z"); /mutate removes the stamp on an uncordon and did not, so it may be down: retry, or remove the stamp in the same request ' +
        '(policy cordon-guard/cordon-guard-policy)',
    );
    assert.equal(warning, 'node "worker-3" uncordon by "mallory" would be denied by cordon-guard in enforce mode: a node that is not cordoned must not carry cordon-guard.io/cordoned-by');
  });

  it('stale-stamp on a node that was not cordoned is a change of the stamp', () => {
    const { message, warning } = evaluated({ oldObject: makeNode({}), object: makeNode({ annotations: { [STAMP_KEY]: ADMIN_STAMP } }) }, { mode: 'audit' });
    assert.match(message, /^cordon-guard denied change of the cordon-guard\.io\/cordoned-by stamp on node "worker-3" by "mallory": the node would not be cordoned/);
    assert.match(warning, /^node "worker-3" cordon stamp change by "mallory" /);
  });

  it('a node name past 253 characters is cut to 253, the last three being "..."', () => {
    const { message } = violationFor({ node: `${'n'.repeat(250)}TAIL` });
    assert.ok(message.startsWith(`cordon-guard denied uncordon of node "${'n'.repeat(250)}..." by "mallory": `), message.slice(0, 300));
  });

  it('a node name of exactly 253 characters is kept whole', () => {
    const node = 'n'.repeat(253);
    assert.ok(violationFor({ node }).message.includes(`node "${node}" by`));
  });

  it('a long all-ASCII warning uses the whole 256-byte budget', () => {
    const { warning } = violationFor({ value: 'v'.repeat(300) }, { mode: 'warn' });
    assert.equal(Buffer.byteLength(warning), WARNING_MAX_BYTES);
    assert.ok(warning.endsWith('v'.repeat(20)));
  });

  it('a warning cut inside a multi-byte character stops before it', () => {
    const { warning } = violationFor({ value: '€'.repeat(100) }, { mode: 'warn' });
    assert.ok(Buffer.byteLength(warning) <= WARNING_MAX_BYTES && Buffer.byteLength(warning) > WARNING_MAX_BYTES - 3);
    assert.ok(warning.endsWith('€'));
  });
});
