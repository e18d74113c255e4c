// The API server's answers as the plugin's errors: a refusal (a client-node ApiException) becomes
// an ApiError with its Status's reason and message; no answer at all (connection, TLS) a
// ClusterAccessError (exit 5).
import { ApiException } from '@kubernetes/client-node';
import { ClusterAccessError } from '../cli/exitCodes.ts';
import { ApiError } from '../plugin/api.ts';
import { errorMessage } from '../text/errors.ts';

function apiErrorOf(err: ApiException<unknown>): ApiError {
  const code = err.code;
  let status: { reason?: unknown; message?: unknown } = {};
  try {
    status = typeof err.body === 'string' ? (JSON.parse(err.body) as typeof status) : {};
  } catch {
    status = { message: String(err.body) };
  }
  const reason = typeof status.reason === 'string' ? status.reason : code === 401 ? 'Unauthorized' : undefined;
  const message = typeof status.message === 'string' ? status.message : code === 401 ? 'the server has asked for the client to provide credentials' : `HTTP ${code}`;
  return new ApiError(code, reason, message);
}

/** An error and its causes on one line: `fetch failed: connect ECONNREFUSED 127.0.0.1:6443`. */
function oneLine(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined && parts.length < 4; e = e instanceof Error ? e.cause : undefined) parts.push(errorMessage(e));
  return parts.join(': ');
}

/** One request: a refusal becomes an ApiError, no answer at all a ClusterAccessError. */
export async function callApi<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    if (err instanceof ApiException) throw apiErrorOf(err);
    throw new ClusterAccessError(oneLine(err), { cause: err });
  }
}
