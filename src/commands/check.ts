// `cordon-guard check`: the offline what-if. Same decode, judge and encode as the server.
import { readFile } from 'node:fs/promises';
import { parseAdmissionReview } from '../admission/decode.ts';
import { encodeReview } from '../admission/reply.ts';
import { answer } from '../policy/answer.ts';
import { defaultPolicy, parsePolicyDocument } from '../policy/document.ts';
import { errorMessage } from '../text/errors.ts';
import type { Policy } from '../policy/types.ts';
import type { CheckOptions } from '../cli/args.ts';
import { EXIT } from '../cli/exitCodes.ts';
import type { CommandIo } from '../cli/io.ts';

interface CheckIo extends CommandIo {
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
      io.stderr(`cordon-guard check: cannot read policy file: ${errorMessage(err)}\n`);
      return EXIT.unreadableFile;
    }
    const parsed = parsePolicyDocument(text, `file ${options.policyFile}`);
    if (!parsed.ok) {
      io.stderr(`cordon-guard check: invalid policy ${options.policyFile}:\n${parsed.errors.map((e) => `  - ${e}`).join('\n')}\n`);
      return EXIT.usage;
    }
    policy = parsed.policy;
  }

  let reviewText: string;
  try {
    reviewText = await readInput(options.reviewFile, io);
  } catch (err) {
    io.stderr(`cordon-guard check: cannot read review ${options.reviewFile}: ${errorMessage(err)}\n`);
    return EXIT.unreadableFile;
  }
  const decoded = parseAdmissionReview(reviewText);
  if (!decoded.ok) {
    io.stderr(`cordon-guard check: invalid review ${options.reviewFile}: ${decoded.error}\n`);
    return EXIT.usage;
  }
  const { apiVersion, request } = decoded.review;
  // The server's own answer function: `check` cannot answer otherwise than `serve`.
  const result = answer(options.mutate ? 'mutate' : 'validate', request, policy, new Date());
  io.stdout(`${JSON.stringify(encodeReview(apiVersion, request.uid, result.reply), null, 2)}\n`);
  if (result.endpoint === 'mutate') {
    const { repair } = result;
    const patch = [...(repair?.patch ?? []), ...result.mutation.patch];
    if (repair !== undefined) io.stderr(`${repair.evaluation.message}\nkept: ${repair.kept.join(', ')}\n`);
    io.stderr(patch.length === 0 ? 'no patch: not a cordon or uncordon, and nothing to repair\n' : `JSON Patch: ${JSON.stringify(patch)}\n`);
    return EXIT.ok;
  }
  if (result.judgement.decision === 'errored') return EXIT.usage;
  return result.reply.allowed ? EXIT.ok : EXIT.denied;
}
