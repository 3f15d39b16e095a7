import type { ResolvedConfig } from '../config.ts';
import type { Op } from '../diff/ops.ts';
import { recordAll } from '../history/history.ts';
import { prefixSchemas, recordDown } from '../history/replay.ts';
import { compareSchemas, driftSubject, type Drift } from '../introspect/drift.ts';
import type { Query } from '../introspect/introspect.ts';
import type { PhysicalSchema } from '../introspect/physical.ts';
import { emptySchema, type SchemaSnapshot } from '../schema/types.ts';
import { parseDatabaseUrl } from '../url.ts';
import { liveManagedSchema, managedExpected } from './drift.ts';
import { run, withSession, type Session } from './run.ts';

export interface VerifyReport {
  ok: boolean;
  /** Migrations checked, in history order. */
  checked: string[];
  /** The first step whose result is not the schema the history says. */
  failure?: { id: string; step: 'up' | 'down' | 'up again'; message: string };
}

/**
 * On a scratch database: every migration up, then every one down, then up again, comparing
 * the live schema with the one recomputed from the history after each step. A `down` that
 * does not undo its `up` is named.
 *
 * Each pass is one run (one transaction where the dialect has them, SQLite's foreign keys
 * switched once), and each step reads back only the tables its operations touched: a run per
 * migration re-read the whole history and schema every time, which made verify quadratic
 * (200 s for 1,000 migrations). The whole schema is compared once more after each pass.
 */
export async function verifyHistory(config: ResolvedConfig, options: { url?: string } = {}): Promise<VerifyReport> {
  const url = parseDatabaseUrl(options.url ?? 'sqlite::memory:', process.cwd(), '--url');
  const scratch = { ...config, url };
  // Tables the config's `tables` leaves out (an extension's, say) are neither compared nor a
  // reason to call the scratch database used.
  const live = (s: Session, read?: Parameters<typeof liveManagedSchema>[3]) => liveManagedSchema(s, config, undefined, read);
  // Look before touching: a database with anything in it is refused unchanged.
  if (url.file !== ':memory:') {
    const used = await withSession(scratch, 'read-only', async (s) => s.rows.length > 0 || (await live(s)).tables.length > 0);
    if (used) return { ok: false, checked: [], failure: { id: '', step: 'up', message: `${url.display} is not empty: verify needs a scratch database it may change (the default is SQLite in memory)` } };
  }
  return withSession(scratch, {}, async (s) => {
    await reuseStatements(s);
    const ops = await recordAll(s.history);
    const order = [...s.history.order];
    const position = new Map(order.map((id, i) => [id, i]));
    // In a branched history the expected schema is that of everything applied so far: the
    // history order's prefix up to the step (up), or before it (down).
    const prefix = prefixSchemas(s.history, ops, order);
    const at = (i: number) => (i < 0 ? emptySchema() : prefix[i]!);
    const passes: ['up' | 'down' | 'up again', string[]][] = [
      ['up', order],
      ['down', [...order].reverse()],
      ['up again', order],
    ];
    for (const [step, ids] of passes) {
      const direction = step === 'down' ? 'down' : 'up';
      const explain = (problem: string) => (step === 'down' ? `down() does not undo up(): ${problem}` : `the schema after up() is not the one the history says: ${problem}`);
      let failure: VerifyReport['failure'];
      const check = async (e: { id: string; phase: 'start' | 'done'; query?: Query }) => {
        if (e.phase !== 'done') return;
        const i = position.get(e.id)!;
        const [was, want] = direction === 'up' ? [at(i - 1), at(i)] : [at(i), at(i - 1)];
        const stepOps = direction === 'up' ? (ops.get(e.id) ?? []) : [...(await recordDown(s.history, e.id)), ...(ops.get(e.id) ?? [])];
        const touched = touchedTables(stepOps, was, want);
        const problem = difference(managedExpected(s, config, want, touched), await live(s, { query: e.query, only: touched && [...touched] }));
        if (!problem) return;
        failure = { id: e.id, step, message: explain(problem) };
        // Stops the run (its transaction rolls back); the failure above is the report.
        throw new Error(failure.message);
      };
      try {
        await run(s, direction, ids, 'all', { onMigration: check });
      } catch (error) {
        if (failure) return { ok: false, checked: order, failure };
        throw error;
      }
      s.executed = direction === 'up' ? [...order] : [];
      // Anything a step changed outside the tables its operations name.
      const problem = difference(managedExpected(s, config, direction === 'up' ? at(order.length - 1) : emptySchema()), await live(s));
      if (problem && ids.length) return { ok: false, checked: order, failure: { id: ids.at(-1)!, step, message: `${explain(problem)} (seen after the whole ${step} pass)` } };
    }
    return { ok: true, checked: order };
  });
}

type NativeStatement = { busy?: boolean };

/** How many statements verify keeps for reuse: its repeated ones, not every DDL statement it ran once. */
const REUSED_STATEMENTS = 64;

/**
 * On SQLite, the statements verify repeats are prepared once. Kysely prepares a new
 * better-sqlite3 statement for every query, finalised only when garbage collected: tens of
 * thousands stay alive over a long verify, and SQLite walks all of them on every schema change
 * and flag pragma. Its reads, version-table writes and transaction statements repeat at every
 * step: the most recent ones are reused (SQLite re-prepares one by itself when the schema
 * changed under it); DDL run once falls out and is collected as before.
 */
async function reuseStatements(s: Session): Promise<void> {
  if (s.url.dialect !== 'sqlite') return;
  const conn = s.db.orm.em.getConnection() as unknown as { getNativeClient(): Promise<{ prepare(sql: string): NativeStatement }> };
  const native = await conn.getNativeClient();
  const prepare = native.prepare.bind(native);
  const statements = new Map<string, NativeStatement>();
  native.prepare = (sql: string) => {
    const known = statements.get(sql);
    // A statement still being iterated cannot run again: that caller gets a fresh one.
    if (known && !known.busy) {
      // Most recently used last: what falls out of the map is what has not repeated lately.
      statements.delete(sql);
      statements.set(sql, known);
      return known;
    }
    const statement = prepare(sql);
    if (statements.size >= REUSED_STATEMENTS) statements.delete(statements.keys().next().value!);
    statements.set(sql, statement);
    return statement;
  };
}

/**
 * The tables whose live definition `ops` can change, or undefined when that cannot be told
 * (hand-written SQL, an operation of an unknown shape): the tables they name, and those with a
 * foreign key to one of them before or after (a dropped or renamed table takes its
 * references along on some dialects).
 */
export function touchedTables(ops: readonly Op[], before: SchemaSnapshot, after: SchemaSnapshot): Set<string> | undefined {
  const named = new Set<string>();
  for (const op of ops) {
    const o = op as { kind: string; table?: unknown; from?: unknown; to?: unknown };
    if (o.kind === 'sql') return undefined;
    if (o.kind === 'createTable' && typeof (o.table as { name?: unknown })?.name === 'string') named.add((o.table as { name: string }).name);
    else if (typeof o.table === 'string') named.add(o.table);
    else if (o.kind === 'renameTable' && typeof o.from === 'string' && typeof o.to === 'string') named.add(o.from).add(o.to);
    else return undefined;
  }
  const out = new Set(named);
  for (const schema of [before, after]) {
    for (const t of schema.tables) if (t.foreignKeys.some((f) => named.has(f.referencedTable))) out.add(t.name);
  }
  return out;
}

/** The first difference between two physical schemas, in words; undefined when equal. */
export function difference(want: PhysicalSchema, got: PhysicalSchema): string | undefined {
  const drift = compareSchemas(want, got);
  const tables = (kind: Drift['kind']) => drift.filter((d) => d.object === 'table' && d.kind === kind).map((d) => d.table);
  const extra = tables('extra');
  const missing = tables('missing');
  if (extra.length) return `table ${extra.join(', ')} should not exist`;
  if (missing.length) return `table ${missing.join(', ')} is missing`;
  const d = drift[0];
  if (!d) return undefined;
  const what = driftSubject(d);
  if (d.object === 'column' && d.kind !== 'different') return `${what} ${d.kind === 'extra' ? 'should not exist' : 'is missing'}`;
  if (d.object === 'column') return `${what} is ${d.detail.replace(/^type /, '').replace(/; /g, ', and ')}`;
  if (d.kind === 'extra') return `${what} should not exist: ${d.detail}`;
  if (d.kind === 'missing') return `${what} is missing: ${d.detail}`;
  return `${what} differs: ${d.detail}`;
}
