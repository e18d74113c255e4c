// The API server's refusal, from a client-node ApiException: its Status's reason and message.
import { ApiException } from '@kubernetes/client-node';
import { ApiError } from '../plugin/api.ts';

export function apiErrorOf(err: unknown): unknown {
  if (!(err instanceof ApiException)) return err;
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
