/**
 * Every exit code the CLI uses (README: Exit codes). Scripts rely on them: never reuse a number
 * for another meaning.
 */
export const EXIT = {
  ok: 0,
  /** The command ran and found a problem, or a TidemarkError: the message says which. */
  failure: 1,
  /** A flag or argument is wrong. */
  usage: 2,
  /** `migrate status`: a failed or interrupted migration blocks runs until resolved. */
  blocked: 3,
  /** A bug in tidemark (an unexpected error); TIDEMARK_DEBUG=1 prints its stack. */
  internal: 70,
  /** The migration lock is held by a live run and was not released in time. */
  lockBusy: 75,
  sigint: 130,
  sigterm: 143,
} as const;

/**
 * Errors a user can act on. Each carries the exit code the CLI turns it into; the message is
 * one line that names the file, entity, migration or flag at fault.
 */
export class TidemarkError extends Error {
  override name = 'TidemarkError';
  readonly exitCode: number = EXIT.failure;
}

/** A flag or argument is wrong (exit 2, like clipanion's own usage errors). */
export class UsageError extends TidemarkError {
  override name = 'UsageError';
  override readonly exitCode: number = EXIT.usage;
}

/** The config file is missing, unreadable or invalid. */
export class ConfigError extends TidemarkError {
  override name = 'ConfigError';
}

/** An entity file failed to load or an entity cannot be mapped to a table. */
export class EntityError extends TidemarkError {
  override name = 'EntityError';
}

/** The migration history is inconsistent: duplicate ids, unknown parents, several heads, a bad file. */
export class HistoryError extends TidemarkError {
  override name = 'HistoryError';
}

/** The database cannot be reached or opened. */
export class DatabaseError extends TidemarkError {
  override name = 'DatabaseError';
}

/** A migration failed while running; the message names it. */
export class MigrationFailedError extends TidemarkError {
  override name = 'MigrationFailedError';
}

/**
 * The run was stopped (its AbortSignal aborted; the CLI aborts on SIGINT/SIGTERM); the current
 * migration finished or its batch rolled back first. `done` is what ran and stays (applied, or reverted).
 */
export class InterruptedError extends TidemarkError {
  override name = 'InterruptedError';
  override readonly exitCode: number;
  readonly done: readonly string[];
  constructor(signal: string | undefined, message: string, done: readonly string[] = []) {
    super(message);
    this.exitCode = signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
    this.done = done;
  }
}

/** A `--to` / `--step` target that is not in the history, or not reachable from where the database is. */
export class TargetError extends TidemarkError {
  override name = 'TargetError';
}
