import type { Op } from '../diff/ops.ts';
import { MigrationFailedError } from '../errors.ts';
import { findTable } from '../schema/apply.ts';
import { emptySchema, type SchemaSnapshot, type TableDef } from '../schema/types.ts';

/**
 * PostgreSQL holds every lock a transaction takes until it ends, in one shared table of
 * `max_locks_per_transaction × (max_connections + max_prepared_transactions + background
 * processes)` entries; a batch that needs more fails with "out of shared memory" (SQLSTATE 53200)
 * after it has done most of its work. Creating a table locks the table, its indexes, its
 * sequences and its TOAST table and index; altering one locks it (a rewrite, its indexes too).
 * This module counts those objects per migration, from its operations and the schema it starts
 * from, so that a batch is split below the limit, or a migration that cannot fit is refused,
 * before anything runs.
 */

export interface LockCapacity {
  /** Lock-table entries the server has in all (what one transaction can take at most, with nothing else running). */
  total: number;
  /** How the total was computed, in words (for messages). */
  formula: string;
}

/** Column types that make PostgreSQL give a table a TOAST table (and its index). */
const TOASTED = new Set(['text', 'json', 'array', 'blob']);

function toasted(t: TableDef): boolean {
  return t.columns.some((c) => TOASTED.has(c.type) || (c.type === 'string' && (c.length === undefined || c.length > 2000)) || Boolean(c.columnType && /text|json|bytea|\[\]/i.test(c.columnType)));
}

/** The objects creating or dropping `t` locks: the table, its indexes, sequences and TOAST relations, the tables its foreign keys point at. */
function tableObjects(t: TableDef, out: Set<string>): void {
  out.add(`table ${t.name}`);
  if (t.columns.some((c) => c.primary)) out.add(`index ${t.name}.pkey`);
  for (const i of t.indexes) out.add(`index ${t.name}.${i.name}`);
  for (const c of t.columns) if (c.autoincrement) out.add(`sequence ${t.name}.${c.name}`);
  if (toasted(t)) out.add(`toast ${t.name}`).add(`toast index ${t.name}`);
  for (const f of t.foreignKeys) out.add(`table ${f.referencedTable}`);
}

/**
 * The objects a migration's operations lock on PostgreSQL (a set: a batch's total is the size
 * of its migrations' union). Hand-written SQL counts for nothing: what it locks cannot be told.
 */
export function lockedObjects(ops: readonly Op[], before: SchemaSnapshot): Set<string> {
  const out = new Set<string>();
  for (const op of ops) {
    const o = op as { kind: string; table?: unknown; from?: unknown; to?: unknown; index?: unknown; foreignKey?: unknown };
    if (op.kind === 'createTable') tableObjects(op.table, out);
    else if (op.kind === 'dropTable') {
      const t = findTable(before, op.table);
      if (t) tableObjects(t, out);
      else out.add(`table ${op.table}`);
    } else if (op.kind === 'renameTable') {
      const t = findTable(before, op.from);
      if (t) tableObjects(t, out);
      out.add(`table ${op.to}`);
    } else if (typeof o.table === 'string') {
      out.add(`table ${o.table}`);
      const index = o.index as { name?: unknown } | string | undefined;
      if (typeof index === 'string') out.add(`index ${o.table}.${index}`);
      else if (index && typeof index.name === 'string') out.add(`index ${o.table}.${index.name}`);
      const fk = o.foreignKey as { referencedTable?: unknown } | undefined;
      if (fk && typeof fk.referencedTable === 'string') out.add(`table ${fk.referencedTable}`);
      // A column type change rewrites the table and rebuilds every index on it.
      if (op.kind === 'alterColumn') {
        const t = findTable(before, o.table);
        for (const i of t?.indexes ?? []) out.add(`index ${o.table}.${i.name}`);
        if (t?.columns.some((c) => c.primary)) out.add(`index ${o.table}.pkey`);
      }
    }
  }
  return out;
}

/** The server's lock table size, from its settings (one query). */
export async function lockCapacity(query: (sql: string) => Promise<Record<string, unknown>[]>): Promise<LockCapacity> {
  const names = ['max_locks_per_transaction', 'max_connections', 'max_prepared_transactions', 'autovacuum_max_workers', 'max_worker_processes', 'max_wal_senders'];
  const rows = await query(`select name, setting from pg_settings where name in (${names.map((n) => `'${n}'`).join(', ')})`);
  const setting = new Map(rows.map((r) => [String(r.name), Number(r.setting)]));
  const per = setting.get('max_locks_per_transaction') ?? 64;
  // PostgreSQL sizes the table for every backend: connections, autovacuum workers (and their
  // launcher), background workers and WAL senders, plus prepared transactions.
  const backends =
    (setting.get('max_connections') ?? 100) + (setting.get('autovacuum_max_workers') ?? 3) + 1 + (setting.get('max_worker_processes') ?? 8) + (setting.get('max_wal_senders') ?? 10);
  const prepared = setting.get('max_prepared_transactions') ?? 0;
  return { total: per * (backends + prepared), formula: `max_locks_per_transaction ${per} × ${backends + prepared} server processes` };
}

export interface Segment {
  ids: string[];
  transactional: boolean;
}

/**
 * A transactional segment is cut, at migration boundaries, into consecutive parts that each lock
 * at most `budget` objects (half the server's table by default: other sessions hold locks too, and
 * the count is an estimate). A migration that alone needs more than the whole table cannot run in
 * one transaction at all: refused before anything runs, with the ways out.
 */
export function splitByLocks(segments: readonly Segment[], objects: (id: string) => ReadonlySet<string>, capacity: LockCapacity, budget = Math.floor(capacity.total / 2)): Segment[] {
  const out: Segment[] = [];
  for (const segment of segments) {
    if (!segment.transactional) {
      out.push(segment);
      continue;
    }
    let part: string[] = [];
    let locked = new Set<string>();
    for (const id of segment.ids) {
      const own = objects(id);
      if (own.size > capacity.total) {
        throw new MigrationFailedError(
          `migration ${id} locks about ${own.size} objects on PostgreSQL in one transaction, more than the server's lock table holds (${capacity.formula} = ${capacity.total}); nothing was applied: ` +
            `raise max_locks_per_transaction (postgresql.conf, then restart the server), split the migration into smaller ones, or give it 'static override readonly transactional = false' (it then runs statement by statement, its progress recorded)`,
        );
      }
      let added = 0;
      for (const o of own) if (!locked.has(o)) added++;
      if (part.length && locked.size + added > budget) {
        out.push({ ids: part, transactional: true });
        part = [];
        locked = new Set();
      }
      part.push(id);
      for (const o of own) locked.add(o);
    }
    if (part.length) out.push({ ids: part, transactional: true });
  }
  return out;
}

/**
 * The segments of a run on PostgreSQL, each transactional one cut below the server's lock
 * limit (said in `notices`); other dialects' segments as they are. Throws (nothing has run) when
 * one migration alone cannot fit.
 */
export async function withinLockLimit(
  s: { url: { dialect: string }; db: { execute(sql: string): Promise<Record<string, unknown>[]> }; notices: string[] },
  segments: Segment[],
  ops: ReadonlyMap<string, readonly Op[]>,
  start: ReadonlyMap<string, SchemaSnapshot>,
): Promise<Segment[]> {
  if (s.url.dialect !== 'postgresql' || !segments.some((x) => x.transactional)) return segments;
  const capacity = await lockCapacity((sql) => s.db.execute(sql));
  const out = splitByLocks(segments, (id) => lockedObjects(ops.get(id) ?? [], start.get(id) ?? emptySchema()), capacity);
  if (out.length > segments.length) {
    const cut = segments.filter((x) => x.transactional && out.filter((y) => y.transactional && x.ids.includes(y.ids[0]!)).length > 1);
    for (const x of cut) {
      const parts = out.filter((y) => y.transactional && x.ids.includes(y.ids[0]!)).length;
      s.notices.push(
        `${x.ids.length} migrations ran as ${parts} transactions instead of one, each below PostgreSQL's lock limit (${capacity.formula} = ${capacity.total} lock-table entries), cut between migrations`,
      );
    }
  }
  return out;
}
