import type { UserInfo } from '../admission/types.ts';
import type { Policy } from './types.ts';

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

/** `NS/NAME` for a username `system:serviceaccount:NS:NAME`, otherwise undefined. */
function serviceAccountOf(username: string): string | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const rest = username.slice(SERVICE_ACCOUNT_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1) return undefined;
  return `${rest.slice(0, colon)}/${rest.slice(colon + 1)}`;
}

export function isAllowlisted(user: UserInfo, policy: Policy): boolean {
  const { matchers } = policy;
  if (matchers.users(user.username)) return true;
  if (user.groups.some((group) => matchers.groups(group))) return true;
  const serviceAccount = serviceAccountOf(user.username);
  return serviceAccount !== undefined && matchers.serviceAccounts(serviceAccount);
}
