import type { TidemarkCommand } from './base.ts';

/**
 * The version of every `--json` document. It changes only when a field is removed or changes
 * meaning; new fields may appear at any time, so readers should ignore keys they do not know.
 */
export const JSON_VERSION = 1;

/** Prints one `--json` document on stdout: `{ version, command, ...body }` (README: JSON output). */
export function printJson(cmd: TidemarkCommand, command: string, body: object): void {
  cmd.context.stdout.write(`${JSON.stringify({ version: JSON_VERSION, command, ...body }, null, 2)}\n`);
}

/** A duration as people read it: milliseconds below a second, then seconds with one decimal. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
