import type { ResolvedConfig } from '../config.ts';
import type { Op } from '../diff/ops.ts';
import { TidemarkError } from '../errors.ts';
import { recordAll, type History } from '../history/history.ts';
import { schemaOfApplied } from '../history/replay.ts';
import { compareSchemas } from '../introspect/drift.ts';
import { configuredTables } from '../schema/table-filter.ts';
import type { SchemaSnapshot } from '../schema/types.ts';
import { bookkeepingTables, expectedManagedSchema, liveManagedSchema } from './drift.ts';
import type { Session } from './run.ts';

/**
 * The database holds schema its version table does not account for: a lost version row, a
 * dropped version table, a database built by something else. Running the pending migrations
 * would run them twice (a data step included) or stop at "already exists".
 */
export class UnrecordedSchemaError extends TidemarkError {
  override name = 'UnrecordedSchemaError';
}

type Names = Map<string, Set<string>>;

/** Every table and its columns, in one cheap query (no indexes, no types). */
async function liveNames(s: Session): Promise<Names> {
  const sql =
    s.url.dialect === 'sqlite'
      ? `select m.name as t, p.name as c from sqlite_master m join pragma_table_info(m.name) p where m.type = 'table' and m.name not like 'sqlite_%'`
      : s.url.dialect === 'postgresql'
        ? `select c.relname as t, a.attname as c from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = current_schema() and a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p')`
        : `select c.table_name as t, c.column_name as c from information_schema.columns c join information_schema.tables t
             on t.table_schema = c.table_schema and t.table_name = c.table_name
            where c.table_schema = database() and t.table_type = 'BASE TABLE'`;
  const out: Names = new Map();
  for (const r of await s.db.execute(sql)) {
    // MySQL spells the columns of information_schema in capitals.
    const t = String(r.t ?? r.T);
    const c = String(r.c ?? r.C);
    if (!out.has(t)) out.set(t, new Set());
    out.get(t)!.add(c);
  }
  return out;
}

const namesOf = (schema: SchemaSnapshot): Names => new Map(schema.tables.map((t) => [t.name, new Set(t.columns.map((c) => c.name))]));

/** What `ops` create, as `table` and `table.column`, under the names they end with. */
function created(ops: readonly Op[]): string[] {
  const out: string[] = [];
  for (const op of ops) {
    if (op.kind === 'createTable') out.push(op.table.name);
    else if (op.kind === 'renameTable') out.push(op.to);
    else if (op.kind === 'addColumn') out.push(`${op.table}.${op.column.name}`);
    else if (op.kind === 'renameColumn') out.push(`${op.table}.${op.to}`);
  }
  return out;
}

const list = (xs: string[], max = 5) => `${xs.slice(0, max).join(', ')}${xs.length > max ? `, … (${xs.length} in all)` : ''}`;

/**
 * Before `up` runs `pending`: refuses when the live schema already has what the version table
 * says is not applied. The normal case costs one query of table and column names: the full
 * comparison (drift module) runs only when the live schema has tables or columns the recorded
 * head does not explain.
 */
export async function refuseUnrecordedSchema(s: Session, config: ResolvedConfig, pending: readonly string[]): Promise<void> {
  if (!pending.length) return;
  const bookkeeping = new Set(bookkeepingTables(config));
  // Tables of tidemark's own beside the version table (a lock row, say) share its name as a
  // prefix; tables the config's `tables` leaves out are set aside with them.
  const managed = configuredTables(config);
  const ours = (t: string) => bookkeeping.has(t) || t.startsWith(`${config.tableName}_`) || !managed(t);
  const live = [...(await liveNames(s))].filter(([t]) => !ours(t));
  const ops = await recordAll(s.history);
  const recorded = namesOf(schemaOfApplied(s.history, ops, s.executed));
  const unexplained = new Set<string>();
  for (const [t, cols] of live) {
    const known = recorded.get(t);
    if (!known) unexplained.add(t);
    else for (const c of cols) if (!known.has(c)) unexplained.add(`${t}.${c}`);
  }
  if (!unexplained.size) return;

  const exclude = [...bookkeeping, ...live.map(([t]) => t).filter(ours)];
  const physical = await liveManagedSchema(s, config, exclude);
  const matches = (applied: Iterable<string>) => compareSchemas(expectedManagedSchema(s, config, ops, applied), physical).length === 0;

  if (!s.executed.length) {
    const tables = live.map(([t]) => t).sort();
    const at = revisionMatching(s.history, matches);
    const way = at
      ? `its schema is the history's at ${at}: run 'tidemark baseline ${at}', then 'tidemark migrate up'`
      : `its schema is the history's at no revision: compare with 'tidemark check --url', make it one revision's schema, then 'tidemark baseline <id>' ('--force' accepts the differences)`;
    throw new UnrecordedSchemaError(
      `database not empty: baseline it first; ${s.url.display} has ${tables.length} table(s) (${list(tables)}) but records no migrations in ${config.tableName}, so 'migrate up' would create them again; ${way}; nothing was applied`,
    );
  }

  // Pending migrations whose work is already in the database, in the order up would run them.
  const applied = new Set(s.executed);
  for (const id of pending) {
    const found = created(ops.get(id) ?? []).filter((x) => unexplained.has(x));
    if (!found.length) continue;
    const newest = [...pending].reverse().find((p) => matches(new Set([...applied, ...s.history.lineage(p)])));
    const missing = newest ? s.history.lineage(newest).filter((x) => !applied.has(x)) : [];
    const way = newest
      ? `the live schema is the history's at ${newest}, so ${missing.length === 1 ? 'its record was' : `the records of ${list(missing, 10)} were`} lost: record ${missing.length === 1 ? 'it' : 'each'} with 'tidemark migrate resolve <id> --applied' (${missing[0]} first), then 'tidemark migrate up'`
      : `if ${id} ran and its record was lost, record it with 'tidemark migrate resolve ${id} --applied'; otherwise remove what was made by hand ('tidemark check --url' lists the differences)`;
    throw new UnrecordedSchemaError(
      `migration ${id} is not recorded as applied in ${config.tableName}, but ${s.url.display} already has ${list(found.map((x) => (x.includes('.') ? `column ${x}` : `table ${x}`)))} it creates; running it again would repeat it (its data steps too); ${way}; nothing was applied`,
    );
  }
}

/** The newest revision of the history whose schema is the live one, if any. */
function revisionMatching(history: History, matches: (applied: Iterable<string>) => boolean): string | undefined {
  return [...history.order].reverse().find((id) => matches(history.lineage(id)));
}
