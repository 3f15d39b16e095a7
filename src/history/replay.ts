import type { Op } from '../diff/ops.ts';
import { HistoryError } from '../errors.ts';
import { applyOps, ReplayError } from '../schema/apply.ts';
import { normalizeSchema } from '../schema/normalize.ts';
import { emptySchema, type SchemaSnapshot } from '../schema/types.ts';
import type { History } from './history.ts';

export interface Replay {
  before: Map<string, SchemaSnapshot>;
  after: Map<string, SchemaSnapshot>;
}

/**
 * The schema before and after every migration, recomputed from the operations in the
 * files alone. A migration with one parent starts from its parent's result; a merge
 * starts from its whole lineage replayed in history order.
 */
export function replay(history: History, ops: ReadonlyMap<string, Op[]>): Replay {
  const before = new Map<string, SchemaSnapshot>();
  const after = new Map<string, SchemaSnapshot>();
  const run = (id: string, start: SchemaSnapshot) => {
    try {
      return applyOps(start, ops.get(id) ?? []);
    } catch (error) {
      if (error instanceof ReplayError) throw new HistoryError(`migration ${id} (${history.get(id)!.file}): ${error.message}`);
      throw error;
    }
  };
  for (const id of history.order) {
    const parents = history.get(id)!.parents;
    let start: SchemaSnapshot;
    if (parents.length === 0) start = emptySchema();
    else if (parents.length === 1) start = after.get(parents[0]!)!;
    else start = history.lineage(id).filter((x) => x !== id).reduce((s, x) => run(x, s), emptySchema());
    before.set(id, start);
    after.set(id, { ...run(id, start), head: id });
  }
  return { before, after };
}

/** The schema at `head` (or empty), normalised, as the snapshot file stores it. */
export function schemaAt(r: Replay, head: string | null): SchemaSnapshot {
  return normalizeSchema(head ? r.after.get(head)! : emptySchema());
}
