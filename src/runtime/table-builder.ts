import type { ColumnSpec, ForeignKeyDef, ReferentialAction, TableDef } from '../schema/types.ts';

/** Collects a table's definition inside `this.createTable(name, (t) => { ... })`. */
export class TableBuilder {
  readonly #table: TableDef;

  constructor(name: string) {
    this.#table = { name, columns: [], indexes: [], foreignKeys: [] };
  }

  column(name: string, spec: ColumnSpec): this {
    this.#table.columns.push({ name, ...spec });
    return this;
  }

  index(name: string, columns: string[]): this {
    this.#table.indexes.push({ name, columns });
    return this;
  }

  unique(name: string, columns: string[]): this {
    this.#table.indexes.push({ name, columns, unique: true });
    return this;
  }

  foreignKey(
    name: string,
    columns: string[],
    referencedTable: string,
    referencedColumns: string[],
    actions: { onDelete?: ReferentialAction; onUpdate?: ReferentialAction } = {},
  ): this {
    const fk: ForeignKeyDef = { name, columns, referencedTable, referencedColumns, ...actions };
    this.#table.foreignKeys.push(fk);
    return this;
  }

  /** @internal */
  build(): TableDef {
    return this.#table;
  }
}
