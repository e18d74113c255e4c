// Records the audit-log fixtures of src/plugin/auditLog.test.ts from the real API server:
//   make audit-fixtures        (or: node testkit/e2e/recordAuditFixtures.ts)
// Starts the e2e control plane twice (nodes audited at level Request, then RequestResponse), with
// cordon-guard registered, plays AUDIT_SCENARIOS and writes each scenario's lines, unedited, to
// testkit/audit/fixtures/<level>/<scenario>.jsonl, with a README of how they were played.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_SCENARIOS, FIXTURE_POLICY, recordAuditScenarios } from './auditFixtures.ts';
import { startControlPlane, type NodeAuditLevel } from './controlPlane.ts';
import { makeCertificates, registerWebhooks, startCordonGuard } from './cordonGuard.ts';

const OUT = new URL('../audit/fixtures/', import.meta.url).pathname;
const LEVELS: Record<NodeAuditLevel, string> = { Request: 'request', RequestResponse: 'request-response' };

async function record(level: NodeAuditLevel): Promise<{ version: string; yamlApplyError: string | undefined }> {
  const cp = await startControlPlane({ nodeAuditLevel: level });
  try {
    const certs = makeCertificates(join(cp.dir, 'certs'));
    const policyFile = join(cp.dir, 'policy.yaml');
    writeFileSync(policyFile, FIXTURE_POLICY);
    const guard = await startCordonGuard(certs, ['--policy-file', policyFile]);
    try {
      await registerWebhooks(cp, guard.port, certs.caPem);
      const recorded = await recordAuditScenarios(cp);
      const dir = join(OUT, LEVELS[level]);
      mkdirSync(dir, { recursive: true });
      for (const [name, lines] of recorded) writeFileSync(join(dir, `${name}.jsonl`), `${lines.join('\n')}\n`);
      const version = (JSON.parse(cp.kubectlOk(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion;
      const yamlApplyError = readFileSync(join(cp.dir, 'kube-apiserver.log'), 'utf8').split('\n').find((l) => l.includes("Error in audit plugin 'log'"));
      return { version, yamlApplyError: yamlApplyError?.replace(/^\S+\s+\S+\s+\d+\s+/, '') };
    } finally {
      await guard.stop();
    }
  } finally {
    await cp.stop();
  }
}

const results = [];
for (const level of Object.keys(LEVELS) as NodeAuditLevel[]) results.push({ level, ...(await record(level)) });

const readme = `# Audit-log fixtures, recorded from the real API server

Written by \`make audit-fixtures\` (\`testkit/e2e/recordAuditFixtures.ts\`); do not edit by hand.
The e2e control plane (${results[0]?.version ?? '?'}, \`testkit/e2e/controlPlane.ts\`) ran with cordon-guard registered
(policy: enforce, \`alice\` allowlisted) and this audit policy, once with LEVEL = Request
(\`request/\`) and once with RequestResponse (\`request-response/\`):

\`\`\`yaml
omitStages: [RequestReceived]
rules:
- level: None
  resources: [{group: "", resources: ["nodes/status"]}]
- level: LEVEL
  resources: [{group: "", resources: ["nodes"]}]
- level: None
\`\`\`

Each file holds every line of the API server's audit log about one node, unedited, in the order
written. The scenarios (\`testkit/e2e/auditFixtures.ts\`), played with kubectl as the harness's
identities (the upgrade controller is \`system:serviceaccount:system-upgrade:system-upgrade\`,
the autoscaler \`system:serviceaccount:kube-system:cluster-autoscaler\`):

${AUDIT_SCENARIOS.map((s) => `- \`${s.name}.jsonl\`: ${s.description}.`).join('\n')}

The YAML apply is missing from \`server-side-apply-yaml.jsonl\`; the API server logged instead:

\`\`\`
${results.map((r) => `${r.level}: ${r.yamlApplyError ?? '(no error logged)'}`).join('\n')}
\`\`\`
`;
writeFileSync(join(OUT, 'README.md'), readme);
console.log(`wrote ${OUT}`);
