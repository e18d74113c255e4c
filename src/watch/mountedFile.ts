// Which changes in a watched directory concern the files read from it. Files are watched
// through their directory: the kubelet updates a Secret or ConfigMap volume by swapping a
// `..data` symlink (its atomic writer), which a watch on the file itself never sees.
import { basename } from 'node:path';

/**
 * True for a change that names one of `paths`, the volume's `..data` / `..TIMESTAMP` entries, or
 * nothing (some platforms give no name). Anything else in the directory (a log file, say) must
 * not cost a re-read: under load that was one read per write.
 */
export function concernsMountedFile(name: string | null, ...paths: string[]): boolean {
  return name === null || name.startsWith('..') || paths.some((path) => basename(path) === name);
}
