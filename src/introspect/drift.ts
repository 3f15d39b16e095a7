import type { PhysicalColumn, PhysicalSchema, PhysicalTable } from './physical.ts';

/**
 * One way a live schema differs from the one it should be. `extra`: the database has it, the
 * history does not; `missing`: the other way round; `different`: both have it, not alike.
 * `name` is the table's for tables and primary keys, the column's, the index's, or a foreign
 * key's (its constraint name, or its columns where the dialect keeps no names).
 */
export interface Drift {
  kind: 'extra' | 'missing' | 'different';
  object: 'table' | 'column' | 'index' | 'foreignKey' | 'primaryKey';
  table: string;
  name: string;
  /** What was found against what was expected, in words. */
  detail: string;
}

type Index = PhysicalTable['indexes'][number];
type ForeignKey = PhysicalTable['foreignKeys'][number];

const list = (xs: readonly string[]) => `(${xs.join(', ')})`;
const showColumn = (c: PhysicalColumn) => `${c.type}${c.nullable ? ' null' : ' not null'}`;
const showIndex = (i: Index) => `${i.unique ? 'unique ' : ''}${list(i.columns)}`;
const showFk = (f: ForeignKey) => `${list(f.columns)} → ${f.referencedTable}${list(f.referencedColumns)}${f.onDelete ? ` on delete ${f.onDelete}` : ''}`;
const fkName = (f: ForeignKey) => f.name ?? f.columns.join(',');
const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Every difference between the schema a database should hold (`want`) and the one it holds
 * (`got`), in a stable order: tables by name, then within a table columns, primary key,
 * indexes, foreign keys. Both sides come from `expectedPhysical`/`introspect`, so types are
 * already in one spelling.
 */
export function compareSchemas(want: PhysicalSchema, got: PhysicalSchema): Drift[] {
  const out: Drift[] = [];
  const wantTables = new Map(want.tables.map((t) => [t.name, t]));
  const gotTables = new Map(got.tables.map((t) => [t.name, t]));
  const names = [...new Set([...wantTables.keys(), ...gotTables.keys()])].sort();
  for (const name of names) {
    const w = wantTables.get(name);
    const g = gotTables.get(name);
    if (!w) out.push({ kind: 'extra', object: 'table', table: name, name, detail: `not in the history (${g!.columns.length} column(s))` });
    else if (!g) out.push({ kind: 'missing', object: 'table', table: name, name, detail: `in the history (${w.columns.length} column(s)), not in the database` });
    else out.push(...compareTables(w, g));
  }
  return out;
}

function compareTables(w: PhysicalTable, g: PhysicalTable): Drift[] {
  const out: Drift[] = [];
  const table = w.name;
  const wc = new Map(w.columns.map((c) => [c.name, c]));
  const gc = new Map(g.columns.map((c) => [c.name, c]));
  for (const c of g.columns) if (!wc.has(c.name)) out.push({ kind: 'extra', object: 'column', table, name: c.name, detail: showColumn(c) });
  for (const c of w.columns) {
    const x = gc.get(c.name);
    if (!x) {
      out.push({ kind: 'missing', object: 'column', table, name: c.name, detail: showColumn(c) });
      continue;
    }
    const parts: string[] = [];
    if (x.type !== c.type) parts.push(`type ${x.type}, should be ${c.type}`);
    if (x.nullable !== c.nullable) parts.push(`${x.nullable ? 'nullable' : 'not null'}, should be ${c.nullable ? 'nullable' : 'not null'}`);
    if (parts.length) out.push({ kind: 'different', object: 'column', table, name: c.name, detail: parts.join('; ') });
  }

  if (!same(w.primaryKey, g.primaryKey)) {
    if (!g.primaryKey.length) out.push({ kind: 'missing', object: 'primaryKey', table, name: table, detail: list(w.primaryKey) });
    else if (!w.primaryKey.length) out.push({ kind: 'extra', object: 'primaryKey', table, name: table, detail: list(g.primaryKey) });
    else out.push({ kind: 'different', object: 'primaryKey', table, name: table, detail: `${list(g.primaryKey)}, should be ${list(w.primaryKey)}` });
  }

  out.push(...compareIndexes(table, w.indexes, g.indexes));
  out.push(...compareForeignKeys(table, w.foreignKeys, g.foreignKeys));
  return out;
}

function compareIndexes(table: string, want: Index[], got: Index[]): Drift[] {
  const out: Drift[] = [];
  const gi = new Map(got.map((i) => [i.name, i]));
  const wi = new Map(want.map((i) => [i.name, i]));
  let missing = want.filter((i) => !gi.has(i.name));
  let extra = got.filter((i) => !wi.has(i.name));
  // The same index under another name (MikroORM's naming, or an index renamed by hand): one
  // difference, not a missing and an extra one.
  for (const m of [...missing]) {
    const twin = extra.find((e) => e.unique === m.unique && same(e.columns, m.columns));
    if (!twin) continue;
    out.push({ kind: 'different', object: 'index', table, name: m.name, detail: `named ${twin.name}, should be ${m.name}` });
    missing = missing.filter((x) => x !== m);
    extra = extra.filter((x) => x !== twin);
  }
  for (const i of extra) out.push({ kind: 'extra', object: 'index', table, name: i.name, detail: showIndex(i) });
  for (const i of missing) out.push({ kind: 'missing', object: 'index', table, name: i.name, detail: showIndex(i) });
  for (const w of want) {
    const g = gi.get(w.name);
    if (!g) continue;
    const parts: string[] = [];
    if (!same(g.columns, w.columns)) parts.push(`columns ${list(g.columns)}, should be ${list(w.columns)}`);
    if (g.unique !== w.unique) parts.push(g.unique ? 'unique, should not be' : 'not unique, should be');
    if (parts.length) out.push({ kind: 'different', object: 'index', table, name: w.name, detail: parts.join('; ') });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Foreign keys are matched by their columns (SQLite keeps no constraint names, and a key is
 * about its columns); a name that differs is one difference among the others.
 */
function compareForeignKeys(table: string, want: ForeignKey[], got: ForeignKey[]): Drift[] {
  const out: Drift[] = [];
  const key = (f: ForeignKey) => f.columns.join('\0');
  const pool = [...got];
  for (const w of want) {
    const at = pool.findIndex((g) => key(g) === key(w));
    if (at < 0) {
      out.push({ kind: 'missing', object: 'foreignKey', table, name: fkName(w), detail: showFk(w) });
      continue;
    }
    const g = pool.splice(at, 1)[0]!;
    const parts: string[] = [];
    if (g.referencedTable !== w.referencedTable || !same(g.referencedColumns, w.referencedColumns)) {
      parts.push(`references ${g.referencedTable}${list(g.referencedColumns)}, should reference ${w.referencedTable}${list(w.referencedColumns)}`);
    }
    if ((g.onDelete ?? 'no action') !== (w.onDelete ?? 'no action')) parts.push(`on delete ${g.onDelete ?? 'no action'}, should be ${w.onDelete ?? 'no action'}`);
    if (w.name && g.name && w.name !== g.name) parts.push(`named ${g.name}, should be ${w.name}`);
    if (parts.length) out.push({ kind: 'different', object: 'foreignKey', table, name: fkName(w), detail: parts.join('; ') });
  }
  for (const g of pool) out.push({ kind: 'extra', object: 'foreignKey', table, name: fkName(g), detail: showFk(g) });
  return out;
}

const OBJECT_WORD: Record<Drift['object'], string> = { table: 'table', column: 'column', index: 'index', foreignKey: 'foreign key', primaryKey: 'primary key' };

/** What a drift is about, in words: `column user.nickname`, `primary key user`. */
export function driftSubject(d: Drift): string {
  return `${OBJECT_WORD[d.object]} ${d.object === 'table' || d.object === 'primaryKey' ? d.table : `${d.table}.${d.name}`}`;
}

/** One line for a person: `extra column user.nickname: varchar(255) null`. */
export function describeDrift(d: Drift): string {
  return `${d.kind} ${driftSubject(d)}: ${d.detail}`;
}
