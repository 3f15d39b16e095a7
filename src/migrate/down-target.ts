import type { ResolvedConfig } from '../config.ts';
import { TargetError } from '../errors.ts';
import { downTargets, withSession, type DownOptions, type Session } from './run.ts';

/** What a relative `migrate down` decided before it waited for the lock. */
export interface RelativeDown {
  /** The migration that is to be the newest applied afterwards, or `base`. */
  target: string;
  /** What it was going to revert, newest first. */
  ids: string[];
}

/**
 * `--step N` (or the default one step) read without the lock: the revision the run is to end
 * at. Without this, a second run waiting for the lock would count its steps from where the
 * first one left the database and revert one migration more.
 */
export async function resolveRelativeDown(config: ResolvedConfig, options: DownOptions): Promise<RelativeDown | undefined> {
  if (options.to !== undefined) return undefined;
  return withSession(config, 'read-only', async (s) => {
    const ids = downTargets(s.history, s.executed, options);
    const reverted = new Set(ids);
    return { ids, target: s.executed.filter((id) => !reverted.has(id)).at(-1) ?? 'base' };
  });
}

/**
 * Under the lock: what is left to revert on the way to the target. Nothing when another run
 * got there (or further) first; a refusal when one applied migrations meanwhile, since the
 * step no longer means what the operator counted.
 */
export function recheckRelativeDown(s: Session, planned: RelativeDown): string[] {
  if (!planned.ids.length) return [];
  if (planned.target !== 'base' && !s.executed.includes(planned.target)) return [];
  const now = downTargets(s.history, s.executed, { to: planned.target });
  const foreign = now.filter((id) => !planned.ids.includes(id));
  if (foreign.length) {
    throw new TargetError(
      `while this run waited for the migration lock, another run applied ${foreign.join(', ')}: nothing was reverted; see 'tidemark migrate status' and run 'migrate down' again (or 'migrate down --to ${planned.target}')`,
    );
  }
  return now;
}
