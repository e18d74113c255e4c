// The exit codes of every command, one table: main, check and the plugin's commands use these
// names, and USAGE prints the table. Scripts branch on them: they stay as they are.
export const EXIT = {
  /** Done; for check, the review is allowed. */
  ok: 0,
  /** Refused by the guard or the API server (a step answered 403, 409, 422...; who-can-uncordon: a missing read permission), or serve failed. */
  refused: 1,
  /** Bad usage: an unknown flag or command, a missing or malformed value; for check, an invalid review or policy. */
  usage: 2,
  /** check: the review is denied. */
  denied: 3,
  /** The node does not exist. */
  notFound: 4,
  /** Cannot reach or authenticate to the cluster: no or bad kubeconfig, unknown context, connection or TLS error, 401. */
  cluster: 5,
  /** A local input file cannot be read (check's --review and --policy-file, culprits' --audit-log, serve's files). */
  unreadableFile: 6,
} as const;

export const EXIT_CODES_TEXT = `exit codes:
  0  done (check: the review is allowed)
  1  refused by the guard or the API server (403, 409, 422, ...; who-can-uncordon: no
     right to list ClusterRoles or ClusterRoleBindings), or serve failed
  2  bad usage (check: an invalid review or policy)
  3  check: the review is denied
  4  not found: the node does not exist
  5  cannot reach or authenticate to the cluster (no or bad kubeconfig, unknown context,
     connection or TLS error, 401 Unauthorized)
  6  a local input file cannot be read (--review, --policy-file, --audit-log, --tls-cert, ...)`;

/** A local input file could not be read: exit 6, with this message. */
export class UnreadableFileError extends Error {}

/** The cluster could not be reached or would not authenticate the caller: exit 5, with this message. */
export class ClusterAccessError extends Error {}
