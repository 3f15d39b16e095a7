import { startEmitter } from '../../codegen/emitter.ts';
import type { ResolvedConfig } from '../config.ts';
import { HistoryError } from '../errors.ts';
import { applyOps, ReplayError } from '../schema/apply.ts';
import { emptySchema } from '../schema/types.ts';
import { recordAll } from '../history/history.ts';
import { loadState } from './state.ts';
import { writeMigration } from './write-migration.ts';

export interface MergeResult {
  id: string;
  file: string;
  parents: string[];
}

/**
 * Joins the heads of a branched history with a migration that has them all as parents and no
 * operations of its own. Its schema is both branches' changes together; branches that
 * change the same thing cannot be joined this way and are named.
 */
export async function mergeHeads(config: ResolvedConfig, options: { message: string; now?: () => Date }): Promise<MergeResult> {
  const state = await loadState(config);
  if (state.heads.length < 2) throw new HistoryError(`nothing to merge: the history has ${state.heads.length === 1 ? `one head (${state.heads[0]})` : 'no migrations'}`);
  const parents = [...state.heads];
  const lineage = new Set(parents.flatMap((h) => state.history.lineage(h)));
  const ops = await recordAll(state.history);
  let schema = emptySchema();
  for (const id of state.history.order.filter((x) => lineage.has(x))) {
    try {
      schema = applyOps(schema, ops.get(id) ?? []);
    } catch (error) {
      if (error instanceof ReplayError) {
        throw new HistoryError(`the branches conflict at ${id} (${state.history.get(id)!.file}): ${error.message}; change one branch so both can apply, then merge`);
      }
      throw error;
    }
  }
  const emitter = startEmitter();
  try {
    const written = await writeMigration(config, state.newest, emitter, { message: options.message, parents, plan: { up: [], down: [], warnings: [] }, after: schema, now: options.now, command: 'merge' });
    return { ...written, parents };
  } finally {
    emitter.close();
  }
}
