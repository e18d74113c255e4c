// The pino logger is created once in main and passed down; nothing imports a global logger.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './logLevels.ts';

export type { Logger };

/** Paths that may carry credentials; never logged, whatever a caller passes in. */
export const REDACTED_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  'userInfo.extra',
  '*.userInfo.extra',
  'extra',
  'privateKey',
  '*.privateKey',
  'key',
  '*.key',
];

/** How long a line may wait in the buffer for others to share its write. */
export const LOG_FLUSH_INTERVAL_MS = 500;

/**
 * stdout, written in batches of 4 KiB or every LOG_FLUSH_INTERVAL_MS, off the event loop.
 * An async write per line is a syscall and a thread handoff per line, a visible share of a
 * request's CPU when half the requests log a violation (README, Performance). Not sync writes:
 * a stalled log reader must not stall answers.
 * pino flushes what is buffered when the process exits, crash included.
 */
export function stdoutDestination(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: LOG_FLUSH_INTERVAL_MS });
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'cordon-guard' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination ?? stdoutDestination(),
  );
}

/**
 * A child for lines that cordon-guard builds field by field from values that cannot carry
 * credentials (the admission lines: uid, node, user, groups, reason, patch). REDACTED_PATHS can
 * match none of their fields, yet walking them for the wildcard paths costs several times the
 * line itself.
 */
export function forBuiltLines(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

/** How long a failing process waits for its earlier lines when stdout does not take them. */
const FATAL_FLUSH_TIMEOUT_MS = 2000;

/**
 * Logs `err` at fatal, as the last line after every earlier one. pino writes a fatal line
 * synchronously, and a synchronous write would land before an asynchronous one already under
 * way: so the lines buffered so far are written out first (at most FATAL_FLUSH_TIMEOUT_MS, so
 * that a stalled reader of stdout cannot hold a failing process), then the fatal line.
 */
export async function logFatal(logger: Logger, err: unknown, msg: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, FATAL_FLUSH_TIMEOUT_MS);
    logger.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  logger.fatal({ err }, msg);
}

/** The process's last words on a crash: the error logged at fatal after every earlier line, then exit 1. */
export function exitOnUncaughtException(logger: Logger): void {
  process.on('uncaughtException', (err) => {
    void logFatal(logger, err, `uncaught exception, exiting: ${err.message}`).then(() => process.exit(1));
  });
}
