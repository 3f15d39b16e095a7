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
 * files alone. A migration with one parent starts from its parent's result; a merge, or a
 * migration that depends on another branch's migration (`dependsOn`), starts from its whole
 * lineage (dependencies included) replayed in history order.
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
    const { parents, dependsOn = [] } = history.get(id)!;
    let start: SchemaSnapshot;
    if (parents.length === 0 && dependsOn.length === 0) start = emptySchema();
    else if (parents.length === 1 && dependsOn.length === 0) start = after.get(parents[0]!)!;
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

/**
 * The schema of every head applied together (what `migrate up` builds), normalised, with `head`
 * naming the heads space-separated; throws a HistoryError naming the migration where the
 * branches conflict.
 */
export function schemaOfHeads(history: History, ops: ReadonlyMap<string, Op[]>, heads: readonly string[]): SchemaSnapshot {
  return normalizeSchema({ ...schemaOfApplied(history, ops, history.closure(heads, true)), head: heads.length ? heads.join(' ') : null });
}

/** The schema a database has when exactly `applied` has run: their operations in history order. */
export function schemaOfApplied(history: History, ops: ReadonlyMap<string, Op[]>, applied: Iterable<string>): SchemaSnapshot {
  const set = new Set(applied);
  let schema = emptySchema();
  for (const id of history.order) {
    if (!set.has(id)) continue;
    try {
      schema = applyOps(schema, ops.get(id) ?? []);
    } catch (error) {
      if (error instanceof ReplayError) throw new HistoryError(`migration ${id} (${history.get(id)!.file}): ${error.message}`);
      throw error;
    }
  }
  return schema;
}

/**
 * The schema after each prefix of `ids` (a parents-first order, from an empty database): `[i]`
 * is what `up` through `ids[i]` makes, and what `down` back to it leaves. One pass, each step
 * from the one before (verify compares every step with it).
 */
export function prefixSchemas(history: History, ops: ReadonlyMap<string, Op[]>, ids: readonly string[]): SchemaSnapshot[] {
  const out: SchemaSnapshot[] = [];
  let schema = emptySchema();
  for (const id of ids) {
    try {
      schema = applyOps(schema, ops.get(id) ?? []);
    } catch (error) {
      if (error instanceof ReplayError) throw new HistoryError(`migration ${id} (${history.get(id)!.file}): ${error.message}`);
      throw error;
    }
    out.push(schema);
  }
  return out;
}

/** The operations of a migration's `down()`, recorded without a database. */
export function recordDown(history: History, id: string): Promise<Op[]> {
  return (history.get(id)!.migration as unknown as { record(m: 'down'): Promise<Op[]> }).record('down');
}

export interface RunSchemas {
  /** For `up`: the schema each migration starts from. */
  before: Map<string, SchemaSnapshot>;
  /** For `down`: the schema each migration's `down` starts from. */
  after: Map<string, SchemaSnapshot>;
  /** The operations each migration will run in this direction. */
  ops: Map<string, Op[]>;
}

/**
 * The schema each migration of a run meets, from what is really applied (not from its own
 * lineage: in a branched history the other branch's changes are there too, and a SQLite
 * rebuild must keep them).
 */
export async function runSchemas(
  history: History,
  ops: ReadonlyMap<string, Op[]>,
  applied: Iterable<string>,
  direction: 'up' | 'down',
  ids: string[],
): Promise<RunSchemas> {
  const before = new Map<string, SchemaSnapshot>();
  const after = new Map<string, SchemaSnapshot>();
  const running = new Map<string, Op[]>();
  let current = schemaOfApplied(history, ops, applied);
  for (const id of ids) {
    const node = history.get(id)!;
    const steps = direction === 'up' ? (ops.get(id) ?? []) : await recordDown(history, id);
    (direction === 'up' ? before : after).set(id, current);
    running.set(id, steps);
    try {
      current = applyOps(current, steps);
    } catch (error) {
      if (error instanceof ReplayError) throw new HistoryError(`migration ${id} (${node.file}), ${direction}(): ${error.message}`);
      throw error;
    }
  }
  return { before, after, ops: running };
}
