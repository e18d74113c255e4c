// The policy document: one YAML document, from a file or a ConfigMap key, validated strictly.
// Errors name the key and the problem, so an operator can fix a bad edit from the log line.
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { compilePatterns } from './pattern.ts';
import { qualifiedNameProblems } from './qualifiedName.ts';
import { DEFAULT_SETTINGS, MODES, type Policy, type PolicySettings } from './types.ts';

export type PolicyParseResult = { ok: true; policy: Policy } | { ok: false; errors: string[] };

const patternList = z.array(z.string().min(1, 'a pattern must not be empty')).default([]);

const documentSchema = z.strictObject({
  mode: z.enum(MODES).default(DEFAULT_SETTINGS.mode),
  maintenanceAnnotation: z
    .string()
    .default(DEFAULT_SETTINGS.maintenanceAnnotation)
    .superRefine((key, ctx) => {
      for (const problem of qualifiedNameProblems(key)) ctx.addIssue({ code: 'custom', message: problem });
    }),
  guardAllCordons: z.boolean().default(DEFAULT_SETTINGS.guardAllCordons),
  guardAnnotationRemoval: z.boolean().default(DEFAULT_SETTINGS.guardAnnotationRemoval),
  allowCordonOwner: z.boolean().default(DEFAULT_SETTINGS.allowCordonOwner),
  recordon: z.boolean().default(DEFAULT_SETTINGS.recordon),
  // A duration such as "72h", kept in milliseconds; null: never overdue.
  maintenanceMaxAge: z
    .string()
    .nullable()
    .default(null)
    .transform((text, ctx) => {
      if (text === null) return null;
      const duration = parseDuration(text);
      if (duration.ok) return duration.ms;
      ctx.addIssue({ code: 'custom', message: duration.problem });
      return z.NEVER;
    }),
  allow: z
    .strictObject({ users: patternList, groups: patternList, serviceAccounts: patternList })
    .default({ users: [], groups: [], serviceAccounts: [] }),
});

/** Builds the policy in force from complete settings; compiles the allowlist once. */
export function policyFrom(settings: PolicySettings, origin: string): Policy {
  return {
    ...settings,
    origin,
    matchers: {
      users: compilePatterns(settings.allow.users),
      groups: compilePatterns(settings.allow.groups),
      serviceAccounts: compilePatterns(settings.allow.serviceAccounts),
    },
  };
}

export function defaultPolicy(origin = 'defaults'): Policy {
  return policyFrom(DEFAULT_SETTINGS, origin);
}

function keyPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(document)';
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length === 0 ? '' : ` in ${keyPath(issue.path)}`;
    return `unknown key${issue.keys.length > 1 ? 's' : ''}${where}: ${issue.keys.join(', ')}`;
  }
  return `${keyPath(issue.path)}: ${issue.message}`;
}

export function parsePolicyDocument(text: string, origin: string): PolicyParseResult {
  const documents = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  if (documents.length > 1) return { ok: false, errors: ['expected one YAML document, found several'] };
  const document = documents[0];
  if (document !== undefined && document.errors.length > 0) {
    return { ok: false, errors: document.errors.map((e) => `YAML: ${e.message.split('\n')[0] ?? e.message}`) };
  }
  let raw: unknown;
  try {
    raw = document?.toJS({ maxAliasCount: 50 }) ?? {};
  } catch (err) {
    // yaml throws, rather than reports, an alias bomb past maxAliasCount.
    return { ok: false, errors: [`YAML: ${err instanceof Error ? err.message : String(err)}`] };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, errors: ['(document): must be a mapping of policy keys'] };
  }
  const parsed = documentSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.map(describeIssue) };
  return { ok: true, policy: policyFrom(parsed.data, origin) };
}
