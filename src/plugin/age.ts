// How long ago, as kubectl's tables say it (apimachinery's ShortHumanDuration): 5s, 3m, 2h, 4d, 1y.

/** The age of `time` (RFC 3339) at `now`; `<invalid>` for an unparseable time or one in the future. */
export function age(time: string, now: Date): string {
  const at = Date.parse(time);
  if (Number.isNaN(at)) return '<invalid>';
  const seconds = Math.trunc((now.getTime() - at) / 1000);
  // Up to a second ahead is clock skew between machines, not an error.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}
