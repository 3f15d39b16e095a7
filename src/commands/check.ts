import type { ResolvedConfig } from '../config.ts';
import type { Op } from '../diff/ops.ts';
import { TidemarkError } from '../errors.ts';
import { entitySchema, pendingChanges } from './generate.ts';
import { loadState } from './state.ts';

export interface CheckProblem {
  code: 'broken-file' | 'multiple-heads' | 'snapshot-mismatch' | 'uncaptured-changes' | 'entities';
  message: string;
}

export interface CheckReport {
  ok: boolean;
  problems: CheckProblem[];
  /** The changes the entities have that no migration captures. */
  changes: Op[];
}

/**
 * Everything CI should fail on, in one report: a migration file that does not load, several
 * heads, a snapshot that does not match the history, entities with changes no migration has.
 */
export async function check(config: ResolvedConfig): Promise<CheckReport> {
  const problems: CheckProblem[] = [];
  let changes: Op[] = [];
  let state;
  try {
    state = await loadState(config);
  } catch (error) {
    problems.push({ code: 'broken-file', message: (error as Error).message });
    return { ok: false, problems, changes };
  }
  if (state.heads.length > 1) problems.push({ code: 'multiple-heads', message: `the history has ${state.heads.length} heads (${state.heads.join(', ')}); run 'tidemark merge -m "<message>"'` });
  if (state.snapshotProblem) problems.push({ code: 'snapshot-mismatch', message: state.snapshotProblem });
  if (state.heads.length <= 1) {
    try {
      changes = await pendingChanges(state, await entitySchema(config), { message: '' });
      if (changes.length) problems.push({ code: 'uncaptured-changes', message: `the entities have ${changes.length} change(s) no migration captures; run 'tidemark gen-migration -m "<message>"'` });
    } catch (error) {
      if (!(error instanceof TidemarkError)) throw error;
      problems.push({ code: error.name === 'RenameAmbiguityError' ? 'uncaptured-changes' : 'entities', message: error.message });
    }
  }
  return { ok: problems.length === 0, problems, changes };
}
