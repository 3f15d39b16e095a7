import { Option } from 'clipanion';
import { UsageError } from '../errors.ts';
import { parseDuration } from '../migrate/ddl-lock.ts';
import type { TidemarkCommand } from './base.ts';

/** `--lock-timeout`, as every command that takes the run lock spells it. */
export const lockTimeoutOption = () =>
  Option.String('--lock-timeout', { description: 'Seconds to wait for another run to release the migration lock (default 300)' });

/** The library's lock options from `--lock-timeout`; waiting is said on stderr. */
export function lockOptions(cmd: TidemarkCommand, value: string | undefined) {
  let lockTimeoutMs: number | undefined;
  if (value !== undefined) {
    const seconds = Number(value);
    if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError(`--lock-timeout ${value}: expected a number of seconds`);
    lockTimeoutMs = seconds * 1000;
  }
  return { lockTimeoutMs, onWait: (holder: string) => cmd.context.stderr.write(`tidemark: waiting for the migration lock, held by ${holder}\n`) };
}

/** `--ddl-lock-timeout`: how long each migration statement waits for a table lock (not the run lock above). */
export const ddlLockTimeoutOption = () =>
  Option.String('--ddl-lock-timeout', {
    description: "How long each migration statement waits for a table lock before its batch is retried: '5s' (default), '500ms', '0' leaves the server's setting",
  });

/** The library's `ddlLockTimeoutMs` from `--ddl-lock-timeout`. */
export function ddlLockOptions(value: string | undefined): { ddlLockTimeoutMs?: number } {
  if (value === undefined) return {};
  const ms = parseDuration(value);
  if (ms === undefined) throw new UsageError(`--ddl-lock-timeout ${value}: expected a duration such as 5s or 500ms, or a number of seconds, at most 24 days`);
  return { ddlLockTimeoutMs: ms };
}
