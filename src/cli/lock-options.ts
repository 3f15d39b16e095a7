import { Option } from 'clipanion';
import { UsageError } from '../errors.ts';
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
