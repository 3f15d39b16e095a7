import { spawn } from 'node:child_process';
import { isAbsolute, relative } from 'node:path';
import type { ResolvedConfig } from '../config.ts';
import { TidemarkError } from '../errors.ts';
import { show } from './state.ts';

/** An `afterWrite` hook failed; the file it was given was written and stays. */
export class HookError extends TidemarkError {
  override name = 'HookError';
}

/** `arg` as one shell word. */
function quote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return process.platform === 'win32' ? `"${arg.replace(/"/g, '""')}"` : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs the config's `hooks.afterWrite` on a file just written, one after the other, through a
 * shell in the project root with the file's path (relative to the root when inside it) as the
 * last argument. Their output goes to stderr, stdout included, so that a command's stdout stays
 * what it prints itself (gen-migration: the file's path). Returns the first failure, which
 * stops the rest, as a one-line error; undefined when all succeeded.
 */
export async function runAfterWriteHooks(config: ResolvedConfig, file: string): Promise<HookError | undefined> {
  const hooks = config.hooks?.afterWrite ?? [];
  const rel = relative(config.projectRoot, file);
  const arg = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
  const where = config.configFile ? show(config.configFile) : 'the config';
  for (const [i, hook] of hooks.entries()) {
    const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error>((done) => {
      const child = spawn(`${hook} ${quote(arg)}`, { cwd: config.projectRoot, shell: true, stdio: ['ignore', 2, 2] });
      child.once('error', done);
      child.once('close', (code, signal) => done({ code, signal }));
    });
    if (!(outcome instanceof Error) && outcome.code === 0) continue;
    const how = outcome instanceof Error ? `could not start (${outcome.message})` : outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`;
    return new HookError(
      `hook '${hook}' (hooks.afterWrite[${i}] in ${where}) ${how} on ${show(file)}; the migration was written and stays: fix it or the hook (then run 'tidemark check'), or delete it`,
    );
  }
  return undefined;
}
