import type { ColumnSpec, ForeignKeyDef, IndexDef, ReferentialAction, TableDef } from '../schema/types.ts';

export interface IndexOptions {
  /** A full-text index (`gin(to_tsvector(...))` on PostgreSQL, `FULLTEXT` on MySQL/MariaDB). */
  type?: 'fulltext';
  /** MikroORM's index on a foreign key's columns: created where MikroORM indexes foreign keys, not on PostgreSQL. */
  foreignKey?: boolean;
}

export function indexDef(name: string, columns: string[], options: IndexOptions & { unique?: boolean }): IndexDef {
  return { name, columns, ...(options.unique ? { unique: true } : {}), ...(options.type ? { type: options.type } : {}), ...(options.foreignKey ? { foreignKey: true } : {}) };
}

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

  index(name: string, columns: string[], options: IndexOptions = {}): this {
    this.#table.indexes.push(indexDef(name, columns, options));
    return this;
  }

  unique(name: string, columns: string[], options: IndexOptions = {}): this {
    this.#table.indexes.push(indexDef(name, columns, { ...options, unique: true }));
    return this;
  }

  /** A check constraint; `expression` is SQL, used as written on every dialect. */
  check(name: string, expression: string): this {
    (this.#table.checks ??= []).push({ name, expression });
    return this;
  }

  comment(text: string): this {
    this.#table.comment = text;
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
