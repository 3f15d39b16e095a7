import type { DialectName } from '../dialect/dialect.ts';
import { sqliteRebuilds } from '../dialect/sqlite.ts';
import { mysqlType, postgresType } from '../dialect/types.ts';
import type { Op, OpOf } from '../diff/ops.ts';
import { applyOp, findTable } from '../schema/apply.ts';
import { describeOp } from './describe-op.ts';
import type { ColumnDef, SchemaSnapshot } from '../schema/types.ts';

/**
 * Stable codes for an operation that holds a blocking lock on a table that already exists for a
 * time that grows with its size (or, for TM202, one that has an online form). Warnings, never a
 * gate: a migration with them is still written and run.
 */
export type LockCode =
  /** An index built while writes wait (PostgreSQL without CONCURRENTLY; a MariaDB full-text index). */
  | 'TM201'
  /** An index dropped under ACCESS EXCLUSIVE (PostgreSQL without CONCURRENTLY). */
  | 'TM202'
  /** A foreign key whose rows are checked while writes wait (PostgreSQL without NOT VALID; MariaDB copies the table). */
  | 'TM203'
  /** A check constraint whose rows are checked while reads or writes wait. */
  | 'TM204'
  /** SET NOT NULL scanning the table under ACCESS EXCLUSIVE (PostgreSQL). */
  | 'TM205'
  /** A column type change that rewrites or copies the table. */
  | 'TM206'
  /** A new column that rewrites or copies the table (volatile default, serial/identity, auto_increment). */
  | 'TM207';

export type Blocks = 'nothing' | 'writes' | 'reads and writes';
/**
 * How long the lock that blocks the application is held (or, where nothing is blocked, how long the
 * work takes): `instant` is catalog only once the lock is granted; `scan` and `rewrite` take time
 * proportional to the table's size.
 */
export type Duration = 'instant' | 'scan' | 'rewrite';

export interface LockClass {
  /** Set when the operation is flagged: a blocking lock held for a scan or rewrite of a table that already exists. */
  code?: LockCode;
  /** What is locked, in the dialect's own words (`ACCESS EXCLUSIVE on "user"`, `ALGORITHM=COPY, LOCK=SHARED`). */
  lock: string;
  /** What the application cannot do on the table while it runs. */
  blocks: Blocks;
  duration: Duration;
  /** Why, in a few words. */
  note: string;
  /** How to get the form that does not block (set with `code`). */
  safeAlternative?: string;
}

/** A flagged operation: what `gen-migration` prints and the plan carries. */
export interface LockWarning {
  code: LockCode;
  /** The dialect it was classified for. */
  dialect: DialectName;
  /** The table or `table.column` (or index) it is about. */
  target: string;
  message: string;
  safeAlternative: string;
  /** The safe form is one gen-migration writes itself (its default; not with --no-online). */
  generated: boolean;
}

const BLOCK_RANK: Record<Blocks, number> = { nothing: 0, writes: 1, 'reads and writes': 2 };
const DURATION_RANK: Record<Duration, number> = { instant: 0, scan: 1, rewrite: 2 };

/** The part that keeps the application waiting longest comes first. */
function worse(a: LockClass, b: LockClass): boolean {
  const blocking = (c: LockClass) => (c.blocks === 'nothing' ? 0 : 1 + DURATION_RANK[c.duration] * 3 + BLOCK_RANK[c.blocks]);
  const ka = blocking(a);
  const kb = blocking(b);
  return ka !== kb ? ka > kb : DURATION_RANK[a.duration] > DURATION_RANK[b.duration];
}

/** Several statements of one operation: the worst decides, the others are named in the note. */
function combine(parts: LockClass[]): LockClass {
  const sorted = [...parts].sort((a, b) => (worse(a, b) ? -1 : worse(b, a) ? 1 : 0));
  const head = sorted[0]!;
  const rest = sorted.slice(1).map((p) => p.note);
  return { ...head, note: [head.note, ...rest].join('; ') };
}

const SAFE = {
  pgIndex: "{ online: true } on createIndex: CREATE INDEX CONCURRENTLY, in a migration with static transactional = false",
  pgDropIndex: '{ online: true } on dropIndex: DROP INDEX CONCURRENTLY, in a migration with static transactional = false',
  pgForeignKey: "{ validate: 'later' } on addForeignKey, then this.validateConstraint(table, name): NOT VALID, then VALIDATE CONSTRAINT while writes go on",
  pgCheck: "{ validate: 'later' } on addCheck, then this.validateConstraint(table, name): NOT VALID, then VALIDATE CONSTRAINT while writes go on",
  pgEnumCheck: "change the values by hand: this.dropCheck, then this.addCheck(table, name, expr, { validate: 'later' }) and this.validateConstraint(table, name)",
  pgNotNull: '{ online: true } on alterColumn: a NOT VALID check, VALIDATE CONSTRAINT while writes go on, then SET NOT NULL without a scan',
  expandContract: 'expand and contract: add a new column, backfill it in batches, switch the application to it, then drop the old one',
  pgAddColumn: 'add the column without a default (or with a constant one), then set the default and backfill the rows in batches',
  myForeignKey: "{ validate: 'later' } on addForeignKey, then this.validateConstraint(table, name): added in place with foreign_key_checks off, then a query checks the rows",
  osc: 'pt-online-schema-change (Debian percona-toolkit) copies the table in the background while writes go on',
} as const;

/** The safe forms gen-migration writes by default for a table that exists (src/plan/online.ts). */
const GENERATED: ReadonlySet<string> = new Set([SAFE.pgIndex, SAFE.pgDropIndex, SAFE.pgForeignKey, SAFE.pgCheck, SAFE.pgNotNull, SAFE.myForeignKey]);

const durationWords: Record<Duration, string> = {
  instant: 'instant',
  scan: 'scans the table (time grows with its size)',
  rewrite: 'rewrites the table (time grows with its size)',
};

/** One line: the lock, what it blocks, for how long. */
export function describeLock(c: LockClass): string {
  return `${c.lock}; blocks ${c.blocks}; ${durationWords[c.duration]}`;
}

const q = (name: string) => `"${name}"`;

/**
 * What `op` locks on `dialect`, whether it scans or rewrites the table and what the application
 * must wait for, applied to a database whose schema is `before`. `fresh`: tables created earlier
 * in the same migration (empty: never flagged). Null for hand-written SQL, which is not classified.
 * Facts per dialect: PostgreSQL 15 and MariaDB 10.11, checked on those servers (test/db/locks.test.ts).
 */
export function classify(op: Op, before: SchemaSnapshot, dialect: DialectName, fresh: ReadonlySet<string> = new Set()): LockClass | null {
  if (op.kind === 'sql') return null;
  if (op.kind === 'createTable') {
    // PostgreSQL locks the tables its foreign keys reference, against writes, for the instant it takes.
    const referenced = dialect === 'postgresql' ? [...new Set(op.table.foreignKeys.map((f) => f.referencedTable))].filter((t) => t !== op.table.name) : [];
    if (referenced.length) {
      return { lock: `SHARE ROW EXCLUSIVE on ${referenced.map(q).join(', ')}`, blocks: 'writes', duration: 'instant', note: 'a new table; its foreign keys lock the tables they reference' };
    }
    return { lock: 'a new table', blocks: 'nothing', duration: 'instant', note: 'nothing else to wait for' };
  }
  const table = op.kind === 'renameTable' ? op.from : op.table;
  const c = dialect === 'postgresql' ? postgres(op, before) : dialect === 'sqlite' ? sqlite(op, before) : mariadb(op, before, dialect);
  if (fresh.has(table)) {
    const { code: _code, safeAlternative: _alt, ...rest } = c;
    return { ...rest, note: `${rest.note} (created in this migration: empty)` };
  }
  return c;
}

/** Each operation of a migration with its classification, tables created on the way known as empty. */
export function classifyAll(ops: readonly Op[], before: SchemaSnapshot, dialect: DialectName): { op: Op; lock: LockClass | null }[] {
  const out: { op: Op; lock: LockClass | null }[] = [];
  const fresh = new Set<string>();
  let schema = before;
  for (const op of ops) {
    out.push({ op, lock: classify(op, schema, dialect, fresh) });
    trackCreated(fresh, op);
    try {
      schema = applyOp(schema, op);
    } catch {
      // A step the schema cannot follow (hand-written SQL made what it needs): classify the rest on what is known.
    }
  }
  return out;
}

/** Keeps `fresh` (the tables a migration has created so far) up to date past `op`. */
export function trackCreated(fresh: Set<string>, op: Op): void {
  if (op.kind === 'createTable') fresh.add(op.table.name);
  if (op.kind === 'renameTable' && fresh.delete(op.from)) fresh.add(op.to);
  if (op.kind === 'dropTable') fresh.delete(op.table);
}

/**
 * The flagged operations of a migration, as warnings with their safe form. Operations on the tables
 * it creates are never flagged, so they are neither classified nor applied: an initial migration of
 * thousands of tables costs nothing here.
 */
export function lockWarnings(ops: readonly Op[], before: SchemaSnapshot, dialect: DialectName): LockWarning[] {
  const out: LockWarning[] = [];
  const fresh = new Set<string>();
  let schema = before;
  for (const op of ops) {
    const table = op.kind === 'createTable' ? op.table.name : op.kind === 'renameTable' ? op.from : op.kind === 'sql' ? undefined : op.table;
    if (op.kind === 'createTable' || (table !== undefined && fresh.has(table))) {
      trackCreated(fresh, op);
      continue;
    }
    const lock = classify(op, schema, dialect, fresh);
    if (lock?.code) {
      out.push({ code: lock.code, target: targetOf(op), message: `${describeOp(op)}: ${describeLock(lock)}`, safeAlternative: lock.safeAlternative!, generated: GENERATED.has(lock.safeAlternative!), dialect });
    }
    trackCreated(fresh, op);
    try {
      schema = applyOp(schema, op);
    } catch {
      // It may need a table made earlier in this migration, which was not applied: nothing flagged depends on it.
    }
  }
  return out;
}

/** The paragraph a generated migration's doc comment carries for its flagged operations (none without). */
export function lockNotes(warnings: readonly LockWarning[]): string[] {
  if (!warnings.length) return [];
  const lines = warnings.flatMap((w) => [`- ${w.code} (${w.dialect}) ${w.message}`, `  safe form: ${w.safeAlternative}`]);
  return [['Blocking locks on tables that already exist (warnings; README "Locks and online changes"):', ...lines].join('\n')];
}

/** `TM201 (postgresql) create index … : SHARE on "user"; blocks writes; …; safe form: …` — the one line gen-migration prints. */
export function lockWarningLine(w: LockWarning): string {
  return `${w.code} (${w.dialect}) ${w.message}; safe form: ${w.safeAlternative}`;
}

function targetOf(op: Op): string {
  switch (op.kind) {
    case 'addColumn':
    case 'alterColumn':
      return `${op.table}.${op.column.name}`;
    case 'createIndex':
      return `${op.table}.${op.index.name}`;
    case 'dropIndex':
      return `${op.table}.${op.index}`;
    case 'addForeignKey':
      return `${op.table}.${op.foreignKey.name}`;
    case 'addCheck':
      return `${op.table}.${op.check.name}`;
    case 'renameTable':
      return op.from;
    case 'createTable':
      return op.table.name;
    case 'sql':
      return '';
    default:
      return op.table;
  }
}

function columnOf(before: SchemaSnapshot, table: string, column: string): ColumnDef | undefined {
  return findTable(before, table)?.columns.find((c) => c.name === column);
}

const hasEnumCheck = (c: ColumnDef) => (c.type === 'enum' || c.type === 'array') && Boolean(c.items?.length);

// Functions PostgreSQL marks volatile: a default calling one is evaluated per row, so the table is rewritten.
const VOLATILE = /\b(random|gen_random_uuid|uuid_generate_v[14]|clock_timestamp|timeofday|nextval|setseed)\s*\(/i;

// ---------------------------------------------------------------- PostgreSQL

const NOTHING_RUNS: LockClass = { lock: 'none (nothing runs)', blocks: 'nothing', duration: 'instant', note: 'a foreign key index, which PostgreSQL does not get' };
const AE = (t: string) => `ACCESS EXCLUSIVE on ${q(t)}`;
const SUE = (t: string) => `SHARE UPDATE EXCLUSIVE on ${q(t)}`;

function postgres(op: Exclude<Op, OpOf<'sql'> | OpOf<'createTable'>>, before: SchemaSnapshot): LockClass {
  const instantAE = (t: string, note: string): LockClass => ({ lock: AE(t), blocks: 'reads and writes', duration: 'instant', note });
  switch (op.kind) {
    case 'dropTable':
      return instantAE(op.table, 'drops the table');
    case 'renameTable':
      return instantAE(op.from, 'catalog only');
    case 'renameColumn':
      return instantAE(op.table, 'catalog only');
    case 'dropColumn':
      return instantAE(op.table, 'marks the column dropped; no rewrite');
    case 'dropCheck':
      return instantAE(op.table, 'catalog only');
    case 'dropForeignKey': {
      const fk = findTable(before, op.table)?.foreignKeys.find((f) => f.name === op.foreignKey);
      return { lock: `ACCESS EXCLUSIVE on ${q(op.table)}${fk ? ` and ${q(fk.referencedTable)}` : ''}`, blocks: 'reads and writes', duration: 'instant', note: 'drops the constraint and its triggers' };
    }
    case 'commentTable':
      return { lock: SUE(op.table), blocks: 'nothing', duration: 'instant', note: 'catalog only' };
    case 'addColumn':
      return pgAddColumn(op.table, op.column);
    case 'alterColumn': {
      const from = columnOf(before, op.table, op.column.name);
      return from ? pgAlterColumn(op.table, from, op.column, op.online === true, notNullChecked(before, op.table, op.column.name)) : instantAE(op.table, 'column not in the schema: not classified');
    }
    case 'createIndex':
      // MikroORM makes no index for a foreign key on PostgreSQL, and neither does tidemark.
      if (op.index.foreignKey) return NOTHING_RUNS;
      if (op.online) return { lock: SUE(op.table), blocks: 'nothing', duration: 'scan', note: 'CREATE INDEX CONCURRENTLY: builds while writes go on (outside a transaction)' };
      return { code: 'TM201', lock: `SHARE on ${q(op.table)}`, blocks: 'writes', duration: 'scan', note: 'builds the index while writes wait', safeAlternative: SAFE.pgIndex };
    case 'dropIndex':
      if (findTable(before, op.table)?.indexes.find((i) => i.name === op.index)?.foreignKey) return NOTHING_RUNS;
      if (op.online) return { lock: SUE(op.table), blocks: 'nothing', duration: 'instant', note: 'DROP INDEX CONCURRENTLY: waits for running transactions, blocks no one' };
      return { code: 'TM202', lock: AE(op.table), blocks: 'reads and writes', duration: 'instant', note: 'queues every query on the table behind a running transaction', safeAlternative: SAFE.pgDropIndex };
    case 'addForeignKey': {
      const both = `SHARE ROW EXCLUSIVE on ${q(op.table)} and ${q(op.foreignKey.referencedTable)}`;
      if (op.validate === 'later') return { lock: both, blocks: 'writes', duration: 'instant', note: 'NOT VALID: existing rows are checked by a later VALIDATE CONSTRAINT' };
      return { code: 'TM203', lock: both, blocks: 'writes', duration: 'scan', note: 'checks every row while writes to both tables wait', safeAlternative: SAFE.pgForeignKey };
    }
    case 'addCheck':
      if (op.validate === 'later') return { lock: AE(op.table), blocks: 'reads and writes', duration: 'instant', note: 'NOT VALID: existing rows are checked by a later VALIDATE CONSTRAINT' };
      return { code: 'TM204', lock: AE(op.table), blocks: 'reads and writes', duration: 'scan', note: 'checks every row while reads and writes wait', safeAlternative: SAFE.pgCheck };
    case 'validateConstraint': {
      const fk = findTable(before, op.table)?.foreignKeys.find((f) => f.name === op.name);
      return { lock: `${SUE(op.table)}${fk ? `, ROW SHARE on ${q(fk.referencedTable)}` : ''}`, blocks: 'nothing', duration: 'scan', note: 'VALIDATE CONSTRAINT: checks the rows while reads and writes go on' };
    }
  }
}

function pgAddColumn(table: string, c: ColumnDef): LockClass {
  const parts: LockClass[] = [];
  if (c.autoincrement) {
    parts.push({ code: 'TM207', lock: AE(table), blocks: 'reads and writes', duration: 'rewrite', note: 'a serial or identity column fills every row', safeAlternative: SAFE.pgAddColumn });
  } else if (c.defaultRaw && VOLATILE.test(c.defaultRaw)) {
    parts.push({ code: 'TM207', lock: AE(table), blocks: 'reads and writes', duration: 'rewrite', note: `the volatile default ${c.defaultRaw} is computed for every row`, safeAlternative: SAFE.pgAddColumn });
  } else {
    parts.push({ lock: AE(table), blocks: 'reads and writes', duration: 'instant', note: c.default !== undefined || c.defaultRaw || c.defaultNow ? 'a constant default is stored once (PostgreSQL 11+): no rewrite' : 'catalog only' });
  }
  if (hasEnumCheck(c)) {
    parts.push({ code: 'TM204', lock: AE(table), blocks: 'reads and writes', duration: 'scan', note: "the enum's check is validated against every row", safeAlternative: SAFE.pgEnumCheck });
  }
  return combine(parts);
}

/** varchar(n) → varchar(m ≥ n) or text, numeric(p, s) → numeric(p' ≥ p, s), a wider time precision: binary-coercible, no rewrite. */
function pgWidening(from: string, to: string): boolean {
  const num = (s: string) => /\((\d+)(?:,\s*(\d+))?\)$/.exec(s);
  const base = (s: string) => s.replace(/\(.*\)$/, '');
  if (base(from) === 'varchar' && (to === 'text' || to === 'varchar')) return true;
  if (base(from) !== base(to)) return false;
  const a = num(from);
  const b = num(to);
  if (!b) return ['varchar', 'numeric', 'timestamptz', 'time', 'timestamp'].includes(base(to));
  if (!a) return false;
  switch (base(to)) {
    case 'varchar':
    case 'timestamptz':
    case 'timestamp':
    case 'time':
      return Number(b[1]) >= Number(a[1]);
    case 'numeric':
      return Number(b[1]) >= Number(a[1]) && (b[2] ?? '0') === (a[2] ?? '0');
    default:
      return false;
  }
}

/** A check `(<column> IS NOT NULL)` on the table, which SET NOT NULL trusts instead of scanning (PostgreSQL 12+, once validated). */
function notNullChecked(before: SchemaSnapshot, table: string, column: string): boolean {
  const name = column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^\\(*\\s*"?${name}"?\\s+is\\s+not\\s+null\\s*\\)*$`, 'i');
  return (findTable(before, table)?.checks ?? []).some((c) => pattern.test(c.expression.trim()));
}

function pgAlterColumn(table: string, from: ColumnDef, to: ColumnDef, online: boolean, checked = false): LockClass {
  const parts: LockClass[] = [];
  const declared = (c: ColumnDef) => postgresType({ ...c, autoincrement: false }).toLowerCase().replace(/\s+/g, '');
  const retyped = declared(from) !== declared(to);
  const checkChanged = hasEnumCheck(from) !== hasEnumCheck(to) || from.type !== to.type || JSON.stringify(from.items) !== JSON.stringify(to.items);
  if (retyped) {
    if (pgWidening(declared(from), declared(to))) parts.push({ lock: AE(table), blocks: 'reads and writes', duration: 'instant', note: `${declared(from)} → ${declared(to)} is binary-coercible: no rewrite` });
    else parts.push({ code: 'TM206', lock: AE(table), blocks: 'reads and writes', duration: 'rewrite', note: `${declared(from)} → ${declared(to)} rewrites every row and rebuilds the indexes`, safeAlternative: SAFE.expandContract });
  }
  if (hasEnumCheck(to) && (checkChanged || retyped)) {
    parts.push({ code: 'TM204', lock: AE(table), blocks: 'reads and writes', duration: 'scan', note: "the enum's new check is validated against every row", safeAlternative: SAFE.pgEnumCheck });
  }
  if (Boolean(from.nullable) !== Boolean(to.nullable)) {
    if (to.nullable) parts.push({ lock: AE(table), blocks: 'reads and writes', duration: 'instant', note: 'DROP NOT NULL: catalog only' });
    else {
      if (to.default !== undefined || to.defaultRaw !== undefined || to.defaultNow) {
        parts.push({ lock: `ROW EXCLUSIVE on ${q(table)}, row locks until commit`, blocks: 'writes', duration: 'scan', note: 'an UPDATE gives the NULL rows the default (writes to those rows wait until commit)' });
      }
      if (checked) parts.push({ lock: AE(table), blocks: 'reads and writes', duration: 'instant', note: 'SET NOT NULL trusts the (validated) check that the column IS NOT NULL: no scan' });
      else if (online) {
        parts.push({ lock: SUE(table), blocks: 'nothing', duration: 'scan', note: 'VALIDATE scans while reads and writes go on' });
        parts.push({ lock: AE(table), blocks: 'reads and writes', duration: 'instant', note: 'NOT NULL through a validated check: adding it NOT VALID and SET NOT NULL (no scan) are catalog only' });
      }
      else parts.push({ code: 'TM205', lock: AE(table), blocks: 'reads and writes', duration: 'scan', note: 'SET NOT NULL scans every row while reads and writes wait', safeAlternative: SAFE.pgNotNull });
    }
  }
  const defaultChanged = JSON.stringify([from.default, from.defaultRaw, from.defaultNow]) !== JSON.stringify([to.default, to.defaultRaw, to.defaultNow]);
  if (defaultChanged) parts.push({ lock: AE(table), blocks: 'reads and writes', duration: 'instant', note: 'a new default: catalog only' });
  if ((from.comment ?? '') !== (to.comment ?? '')) parts.push({ lock: SUE(table), blocks: 'nothing', duration: 'instant', note: 'a comment: catalog only' });
  if (!parts.length) parts.push({ lock: AE(table), blocks: 'reads and writes', duration: 'instant', note: 'catalog only' });
  return combine(parts);
}

// ---------------------------------------------------------------- MariaDB (and MySQL)

/** What the server does; `asked`: the statement states `ALGORITHM=INPLACE, LOCK=NONE`, so it is refused rather than copied. */
const algo = (algorithm: 'INSTANT' | 'NOCOPY' | 'INPLACE' | 'COPY', lock: 'NONE' | 'SHARED' | 'EXCLUSIVE', table: string, asked = false) =>
  `ALGORITHM=${algorithm}, LOCK=${lock} on ${q(table)}${asked ? ' (asked: INPLACE, LOCK=NONE)' : " (the server's choice)"}`;

function mariadb(op: Exclude<Op, OpOf<'sql'> | OpOf<'createTable'>>, before: SchemaSnapshot, dialect: DialectName): LockClass {
  const instant = (t: string, note: string): LockClass => ({ lock: algo('INSTANT', 'NONE', t), blocks: 'nothing', duration: 'instant', note });
  switch (op.kind) {
    case 'dropTable':
      return { lock: `exclusive metadata lock on ${q(op.table)}`, blocks: 'reads and writes', duration: 'instant', note: 'drops the table' };
    case 'renameTable':
      return { lock: `exclusive metadata lock on ${q(op.from)}`, blocks: 'reads and writes', duration: 'instant', note: 'catalog only' };
    case 'renameColumn':
      return instant(op.table, 'catalog only');
    case 'dropColumn': {
      // An index on the column goes with it: that is not instant, but needs no copy either.
      const indexed = findTable(before, op.table)?.indexes.some((i) => i.columns.includes(op.column));
      return indexed ? { lock: algo('NOCOPY', 'NONE', op.table), blocks: 'nothing', duration: 'instant', note: 'drops the column and its index' } : instant(op.table, 'instant drop (MariaDB 10.4+)');
    }
    case 'dropCheck':
    case 'dropForeignKey':
    case 'commentTable':
      return instant(op.table, 'catalog only');
    case 'validateConstraint': {
      const fk = findTable(before, op.table)?.foreignKeys.find((f) => f.name === op.name);
      if (dialect === 'mariadb' && fk) return { lock: 'none (a consistent read)', blocks: 'nothing', duration: 'scan', note: 'a query looks for rows without a parent and fails the migration on one' };
      return { lock: 'none (nothing runs)', blocks: 'nothing', duration: 'instant', note: 'the constraint was checked as it was added' };
    }
    case 'addColumn':
      if (op.column.autoincrement) {
        return { code: 'TM207', lock: algo('INPLACE', 'SHARED', op.table), blocks: 'writes', duration: 'rewrite', note: 'an auto_increment column rebuilds the table while writes wait', safeAlternative: SAFE.osc };
      }
      return instant(op.table, 'instant add column (MariaDB 10.4+)');
    case 'alterColumn': {
      const from = columnOf(before, op.table, op.column.name);
      return from ? myAlterColumn(op.table, from, op.column, op.online === true) : instant(op.table, 'column not in the schema: not classified');
    }
    case 'createIndex':
      if (op.index.type === 'fulltext') {
        return { code: 'TM201', lock: algo('INPLACE', 'SHARED', op.table), blocks: 'writes', duration: 'rewrite', note: 'a full-text index is built while writes wait (the first one rebuilds the table)', safeAlternative: SAFE.osc };
      }
      if (op.online) return { lock: algo('NOCOPY', 'NONE', op.table, true), blocks: 'nothing', duration: 'scan', note: 'builds while writes go on' };
      return { lock: algo('NOCOPY', 'NONE', op.table), blocks: 'nothing', duration: 'scan', note: 'builds while writes go on; { online: true } states it, so the server refuses instead of copying' };
    case 'dropIndex':
      if (op.online) return { lock: algo('NOCOPY', 'NONE', op.table, true), blocks: 'nothing', duration: 'instant', note: 'catalog only' };
      return { lock: algo('NOCOPY', 'NONE', op.table), blocks: 'nothing', duration: 'instant', note: 'catalog only' };
    case 'addForeignKey': {
      if (op.validate === 'later' && dialect === 'mariadb') {
        const cols = op.foreignKey.columns;
        const t = findTable(before, op.table);
        const indexed = [...(t?.indexes ?? []).map((i) => i.columns), t?.columns.filter((c) => c.primary).map((c) => c.name) ?? []].some((c) => cols.every((x, i) => c[i] === x));
        const note = 'foreign_key_checks off for the statement: rows are checked by the later validateConstraint';
        return indexed
          ? { lock: algo('INSTANT', 'NONE', op.table, true), blocks: 'nothing', duration: 'instant', note }
          : { lock: algo('NOCOPY', 'NONE', op.table, true), blocks: 'nothing', duration: 'scan', note: `${note}; the server builds an index for the key` };
      }
      return {
        code: 'TM203',
        lock: algo('COPY', 'SHARED', op.table),
        blocks: 'writes',
        duration: 'rewrite',
        note: 'with foreign_key_checks on, adding a foreign key copies the table while writes wait',
        safeAlternative: dialect === 'mariadb' ? SAFE.myForeignKey : SAFE.osc,
      };
    }
    case 'addCheck':
      return { code: 'TM204', lock: algo('COPY', 'SHARED', op.table), blocks: 'writes', duration: 'rewrite', note: 'adding a check copies the table while writes wait', safeAlternative: SAFE.osc };
  }
}

function myAlterColumn(table: string, from: ColumnDef, to: ColumnDef, online: boolean): LockClass {
  const parts: LockClass[] = [];
  const declared = (c: ColumnDef) => mysqlType({ ...c, autoincrement: false }).toLowerCase();
  const a = declared(from);
  const b = declared(to);
  if (a !== b || Boolean(from.autoincrement) !== Boolean(to.autoincrement)) {
    const va = /^varchar\((\d+)\)$/.exec(a);
    const vb = /^varchar\((\d+)\)$/.exec(b);
    // utf8mb4 (tidemark's table charset): 4 bytes a character. InnoDB keeps the stored length's
    // format, so widening is catalog-only unless it moves from at most 255 bytes to more while
    // values could already need the long form (over 127 bytes): then the table is copied.
    const [from8, to8] = [Number(va?.[1]) * 4, Number(vb?.[1]) * 4];
    const widened = va && vb && to8 >= from8 && (to8 <= 255 || from8 <= 127 || from8 > 255);
    // Values appended at the end of an enum keep every stored ordinal.
    const appended = from.type === 'enum' && to.type === 'enum' && (from.items ?? []).every((v, i) => to.items?.[i] === v);
    if (widened || appended) parts.push({ lock: algo('INSTANT', 'NONE', table), blocks: 'nothing', duration: 'instant', note: `${a} → ${b}: catalog only` });
    else parts.push({ code: 'TM206', lock: algo('COPY', 'SHARED', table), blocks: 'writes', duration: 'rewrite', note: `${a} → ${b} copies the table while writes wait`, safeAlternative: `${SAFE.expandContract}; or ${SAFE.osc}` });
  }
  if (Boolean(from.nullable) !== Boolean(to.nullable)) {
    if (!to.nullable && (to.default !== undefined || to.defaultRaw !== undefined || to.defaultNow)) {
      parts.push({ lock: `row locks on ${q(table)}`, blocks: 'writes', duration: 'scan', note: 'an UPDATE gives the NULL rows the default (writes to those rows wait for it)' });
    }
    parts.push({ lock: algo('INPLACE', 'NONE', table, online && !to.nullable), blocks: 'nothing', duration: 'rewrite', note: `${to.nullable ? 'NULL' : 'NOT NULL'}: the table is rebuilt while writes go on` });
  }
  if (!parts.length) parts.push({ lock: algo('INSTANT', 'NONE', table), blocks: 'nothing', duration: 'instant', note: 'default or comment: catalog only' });
  return combine(parts);
}

// ---------------------------------------------------------------- SQLite

const WRITE_LOCK = 'the database write lock';

function sqlite(op: Exclude<Op, OpOf<'sql'> | OpOf<'createTable'>>, before: SchemaSnapshot): LockClass {
  // One writer per database: every change waits for the others and holds them off until commit.
  const rebuilds = sqliteRebuilds(op, before) !== undefined || op.kind === 'addCheck' || op.kind === 'dropCheck' || op.kind === 'commentTable';
  if (rebuilds) return { lock: WRITE_LOCK, blocks: 'writes', duration: 'rewrite', note: 'the table is rebuilt: copied into a new one' };
  if (op.kind === 'createIndex') return { lock: WRITE_LOCK, blocks: 'writes', duration: 'scan', note: 'builds the index' };
  if (op.kind === 'validateConstraint') return { lock: 'none (nothing runs)', blocks: 'nothing', duration: 'instant', note: 'the constraint was checked as it was added' };
  return { lock: WRITE_LOCK, blocks: 'writes', duration: 'instant', note: 'catalog only' };
}
