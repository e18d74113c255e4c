/** A bad command line: main prints it with the usage and exits 2. */
export class UsageError extends Error {}
