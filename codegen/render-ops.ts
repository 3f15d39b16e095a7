import type { CodeBlockWriter } from 'ts-morph';
import type { Op, OpKind, OpOf } from '../src/diff/ops.ts';
import { normalizeSpec } from '../src/schema/normalize.ts';
import type { ColumnDef, ForeignKeyDef, IndexDef } from '../src/schema/types.ts';
import { literal } from './literal.ts';

const spec = (c: ColumnDef) => literal(normalizeSpec(c));

const fkActions = (fk: ForeignKeyDef, validate?: 'later') => {
  const options = { onDelete: fk.onDelete, onUpdate: fk.onUpdate, validate };
  return fk.onDelete || fk.onUpdate || validate ? `, ${literal(options)}` : '';
};

/** The options object an online-able call ends with, or nothing. */
const trailing = (o: Record<string, unknown>) => (Object.values(o).some((v) => v !== undefined) ? `, ${literal(o)}` : '');

/** An index's options as written after its columns (`unique` only where the call does not say it). */
const indexOptions = (i: IndexDef, withUnique: boolean, online?: true) => {
  const o: { unique?: true; type?: 'fulltext'; foreignKey?: true; online?: true } = {};
  if (withUnique && i.unique) o.unique = true;
  if (i.type) o.type = i.type;
  if (i.foreignKey) o.foreignKey = true;
  if (online) o.online = true;
  return Object.keys(o).length ? `, ${literal(o)}` : '';
};

/** The acknowledgement `gen-migration --allow-data-loss` writes, so a reviewer sees it. */
const accepted = (op: { dataLoss?: 'accepted' }) => (op.dataLoss === 'accepted' ? `, ${literal({ dataLoss: 'accepted' })}` : '');

type Renderer<K extends OpKind> = (w: CodeBlockWriter, op: OpOf<K>) => void;

/** One writer per operation kind; a new kind does not compile until it is rendered here. */
const renderers: { [K in OpKind]: Renderer<K> } = {
  createTable: (w, { table }) => {
    w.write(`this.createTable(${literal(table.name)}, (t) => `).inlineBlock(() => {
      for (const c of table.columns) w.writeLine(`t.column(${literal(c.name)}, ${spec(c)});`);
      if (table.comment) w.writeLine(`t.comment(${literal(table.comment)});`);
      for (const i of table.indexes) w.writeLine(`t.${i.unique ? 'unique' : 'index'}(${literal(i.name)}, ${literal(i.columns)}${indexOptions(i, false)});`);
      for (const c of table.checks ?? []) w.writeLine(`t.check(${literal(c.name)}, ${literal(c.expression)});`);
      for (const f of table.foreignKeys) {
        w.writeLine(`t.foreignKey(${literal(f.name)}, ${literal(f.columns)}, ${literal(f.referencedTable)}, ${literal(f.referencedColumns)}${fkActions(f)});`);
      }
    });
    w.write(');').newLine();
  },
  dropTable: (w, op) => void w.writeLine(`this.dropTable(${literal(op.table)}${accepted(op)});`),
  renameTable: (w, op) => void w.writeLine(`this.renameTable(${literal(op.from)}, ${literal(op.to)});`),
  addColumn: (w, op) => void w.writeLine(`this.addColumn(${literal(op.table)}, ${literal(op.column.name)}, ${spec(op.column)});`),
  dropColumn: (w, op) => void w.writeLine(`this.dropColumn(${literal(op.table)}, ${literal(op.column)}${accepted(op)});`),
  alterColumn: (w, op) => void w.writeLine(`this.alterColumn(${literal(op.table)}, ${literal(op.column.name)}, ${spec(op.column)}${trailing({ online: op.online })});`),
  renameColumn: (w, op) => void w.writeLine(`this.renameColumn(${literal(op.table)}, ${literal(op.from)}, ${literal(op.to)});`),
  createIndex: (w, { table, index, online }) =>
    void w.writeLine(`this.createIndex(${literal(table)}, ${literal(index.name)}, ${literal(index.columns)}${indexOptions(index, true, online)});`),
  dropIndex: (w, op) => void w.writeLine(`this.dropIndex(${literal(op.table)}, ${literal(op.index)}${trailing({ online: op.online })});`),
  addForeignKey: (w, { table, foreignKey: f, validate }) =>
    void w.writeLine(
      `this.addForeignKey(${literal(table)}, ${literal(f.name)}, ${literal(f.columns)}, ${literal(f.referencedTable)}, ${literal(f.referencedColumns)}${fkActions(f, validate)});`,
    ),
  validateConstraint: (w, op) => void w.writeLine(`this.validateConstraint(${literal(op.table)}, ${literal(op.name)});`),
  dropForeignKey: (w, op) => void w.writeLine(`this.dropForeignKey(${literal(op.table)}, ${literal(op.foreignKey)});`),
  addCheck: (w, op) => void w.writeLine(`this.addCheck(${literal(op.table)}, ${literal(op.check.name)}, ${literal(op.check.expression)}${trailing({ validate: op.validate })});`),
  dropCheck: (w, op) => void w.writeLine(`this.dropCheck(${literal(op.table)}, ${literal(op.check)});`),
  commentTable: (w, op) => void w.writeLine(`this.commentTable(${literal(op.table)}, ${op.comment === undefined ? 'null' : literal(op.comment)});`),
  sql: (w, op) => void w.writeLine(`this.sql(${literal(op.sql)});`),
};

export function renderOps(w: CodeBlockWriter, ops: readonly Op[]): void {
  for (const op of ops) (renderers[op.kind] as Renderer<OpKind>)(w, op);
}
