import type { ResolvedConfig } from '../config.ts';
import type { Op } from '../diff/ops.ts';
import { TidemarkError } from '../errors.ts';
import type { Drift } from '../introspect/drift.ts';
import { configuredTables, managedSchema } from '../schema/table-filter.ts';
import { entitySchema, pendingChanges } from './generate.ts';
import { loadState } from './state.ts';

export interface CheckProblem {
  code: 'broken-file' | 'multiple-heads' | 'uncaptured-changes' | 'entities' | 'drift' | 'database';
  message: string;
  /** With `drift`: every difference between the live schema and the history's. */
  drift?: Drift[];
}

export interface CheckReport {
  ok: boolean;
  problems: CheckProblem[];
  /** The changes the entities have that no migration captures. */
  changes: Op[];
  /** With a database to compare (`check --url`): which, and the migrations it records as applied. */
  database?: { url: string; applied: string[] };
}

export interface CheckOptions {
  /** Also compare the live schema of the config's database with the history (`check --url`). */
  drift?: boolean;
}

/**
 * Everything CI should fail on, in one report: a migration file that does not load, several
 * heads, entities with changes no migration has;
 * with `drift`, a database whose live schema is not the one its applied migrations make.
 */
export async function check(config: ResolvedConfig, options: CheckOptions = {}): Promise<CheckReport> {
  const problems: CheckProblem[] = [];
  let changes: Op[] = [];
  let state;
  try {
    state = await loadState(config);
  } catch (error) {
    problems.push({ code: 'broken-file', message: (error as Error).message });
    return { ok: false, problems, changes };
  }
  let database: CheckReport['database'];
  if (options.drift) {
    try {
      // Only `check --url` opens a database: plain `check` stays free of drivers.
      const live = await (await import('../migrate/drift.ts')).liveDrift(config);
      database = { url: live.database, applied: live.applied };
      if (live.drift.length) {
        const against = live.applied.length ? `the schema its ${live.applied.length} applied migration(s) make` : 'the history (it records no migrations as applied)';
        const fix = live.applied.length ? "change the database back, or capture the change in a migration ('tidemark gen-migration')" : "if its schema is the history's at some revision, 'tidemark baseline [<id>]' adopts it";
        problems.push({ code: 'drift', message: `${live.database} differs from ${against} in ${live.drift.length} way(s); ${fix}`, drift: live.drift });
      }
    } catch (error) {
      if (!(error instanceof TidemarkError)) throw error;
      problems.push({ code: 'database', message: error.message });
    }
  }
  // Heads that each carry a branch label of their own are branches kept apart on purpose.
  const apart = state.heads.length > 1 && state.history.labelledApart(state.heads);
  if (state.heads.length > 1 && !apart) {
    problems.push({
      code: 'multiple-heads',
      message: `the history has ${state.heads.length} heads (${state.heads.join(', ')}); run 'tidemark merge -m "<message>"', or give each branch a label of its own (gen-migration --branch-label) to keep them apart`,
    });
  }
  if (state.heads.length <= 1 || apart) {
    try {
      const managed = { ...state, schema: managedSchema(state.schema, configuredTables(config)) };
      changes = await pendingChanges(managed, await entitySchema(config), { message: '' });
      if (changes.length) problems.push({ code: 'uncaptured-changes', message: `the entities have ${changes.length} change(s) no migration captures; run 'tidemark gen-migration -m "<message>"'` });
    } catch (error) {
      if (!(error instanceof TidemarkError)) throw error;
      problems.push({ code: error.name === 'RenameAmbiguityError' ? 'uncaptured-changes' : 'entities', message: error.message });
    }
  }
  return { ok: problems.length === 0, problems, changes, ...(database ? { database } : {}) };
}
