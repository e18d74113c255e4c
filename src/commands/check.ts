// `cordon-guard check`: the offline what-if. Same decode, judge and encode as the server.
import { readFile } from 'node:fs/promises';
import { decodeAdmissionReview } from '../admission/decode.ts';
import { allowed, encodeReview, patched } from '../admission/reply.ts';
import { cordonStampMutation } from '../policy/mutation.ts';
import { defaultPolicy, parsePolicyDocument } from '../policy/document.ts';
import { judge } from '../policy/judge.ts';
import type { Policy } from '../policy/types.ts';
import type { CheckOptions } from '../cli/args.ts';

const EXIT_ALLOWED = 0;
const EXIT_BAD_INPUT = 2;
const EXIT_DENIED = 3;

export interface CheckIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
}

async function readInput(path: string, io: CheckIo): Promise<string> {
  return path === '-' ? io.readStdin() : readFile(path, 'utf8');
}

export async function runCheck(options: CheckOptions, io: CheckIo): Promise<number> {
  let policy: Policy = defaultPolicy();
  if (options.policyFile !== undefined) {
    let text: string;
    try {
      text = await readInput(options.policyFile, io);
    } catch (err) {
      io.stderr(`cordon-guard check: cannot read policy file: ${(err as Error).message}\n`);
      return EXIT_BAD_INPUT;
    }
    const parsed = parsePolicyDocument(text, `file ${options.policyFile}`);
    if (!parsed.ok) {
      io.stderr(`cordon-guard check: invalid policy ${options.policyFile}:\n${parsed.errors.map((e) => `  - ${e}`).join('\n')}\n`);
      return EXIT_BAD_INPUT;
    }
    policy = parsed.policy;
  }

  let body: unknown;
  try {
    body = JSON.parse(await readInput(options.reviewFile, io));
  } catch (err) {
    io.stderr(`cordon-guard check: cannot read review ${options.reviewFile}: ${(err as Error).message}\n`);
    return EXIT_BAD_INPUT;
  }
  const decoded = decodeAdmissionReview(body);
  if (!decoded.ok) {
    io.stderr(`cordon-guard check: invalid review ${options.reviewFile}: ${decoded.error}\n`);
    return EXIT_BAD_INPUT;
  }
  const { apiVersion, request } = decoded.review;
  if (options.mutate) {
    const { patch } = cordonStampMutation(request, new Date());
    io.stdout(`${JSON.stringify(encodeReview(apiVersion, request.uid, patch.length === 0 ? allowed() : patched(patch)), null, 2)}\n`);
    io.stderr(patch.length === 0 ? 'no patch: not a cordon or uncordon\n' : `JSON Patch: ${JSON.stringify(patch)}\n`);
    return EXIT_ALLOWED;
  }
  const judgement = judge(request, policy);
  io.stdout(`${JSON.stringify(encodeReview(apiVersion, request.uid, judgement.reply), null, 2)}\n`);
  if (judgement.decision === 'errored') return EXIT_BAD_INPUT;
  return judgement.reply.allowed ? EXIT_ALLOWED : EXIT_DENIED;
}
