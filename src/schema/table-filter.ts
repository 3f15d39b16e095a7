import type { PhysicalSchema } from '../introspect/physical.ts';
import type { SchemaSnapshot } from './types.ts';

/**
 * The `tables` setting: which tables of the database are tidemark's. A table is managed when it
 * matches an `include` pattern (or `include` is not set) and no `exclude` pattern. Patterns are
 * whole table names (no schema) in which `*` stands for any run of characters, none included,
 * and `?` for exactly one; everything else matches itself, case-sensitively.
 */
export interface TablePatterns {
  include?: string[];
  exclude?: string[];
}

/** Whether tidemark manages a table, by its name. */
export type ManagedTable = (name: string) => boolean;

// Characters of other glob dialects (classes, braces, negation, paths) that would silently
// match nothing here: refused so that a pattern never means less than its author thought.
const UNSUPPORTED = /[[\]{}!,/\\.\s]/;

/** Why `value` is not a valid `tables` setting, in words; undefined when it is. */
export function tablePatternsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `'tables' must be { include?: [...], exclude?: [...] }`;
  for (const key of Object.keys(value)) if (key !== 'include' && key !== 'exclude') return `'tables' has an unknown key '${key}' (it takes include and exclude)`;
  for (const key of ['include', 'exclude'] as const) {
    const list = (value as Record<string, unknown>)[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return `'tables.${key}' must be a list of table names or patterns`;
    if (key === 'include' && list.length === 0) return `'tables.include' is empty, which would leave every table out: remove it to manage every table`;
    for (const p of list) {
      if (typeof p !== 'string' || !p) return `'tables.${key}' has ${typeof p === 'string' ? 'an empty pattern' : `a ${typeof p}`}: each entry is a table name or a pattern such as 'legacy_*'`;
      const bad = UNSUPPORTED.exec(p);
      if (bad) {
        const why = bad[0] === '.' ? 'a table name without its schema (tidemark migrates one schema)' : 'a table name in which only * and ? are wildcards';
        return `'tables.${key}' pattern '${p}' has '${bad[0].trim() ? bad[0] : 'a space'}': each entry is ${why}`;
      }
    }
  }
  return undefined;
}

function compile(pattern: string): RegExp {
  const body = pattern.replace(/[$()*+.?^|]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${body}$`, 's');
}

/**
 * The predicate for `patterns`. `always` (the version table and MikroORM's) is never managed,
 * whatever `include` says.
 */
export function managedTables(patterns: TablePatterns | undefined, always: readonly string[] = []): ManagedTable {
  const include = patterns?.include?.map(compile);
  const exclude = (patterns?.exclude ?? []).map(compile);
  const never = new Set(always);
  return (name) => !never.has(name) && (!include || include.some((r) => r.test(name))) && !exclude.some((r) => r.test(name));
}

/**
 * `schema` with only what tidemark manages: unmanaged tables are left out, and so are foreign
 * keys of managed tables that point at them (the history cannot hold a key to a table it does
 * not have). Columns and indexes stay.
 */
export function managedSchema(schema: SchemaSnapshot, managed: ManagedTable): SchemaSnapshot {
  if (schema.tables.every((t) => managed(t.name) && t.foreignKeys.every((f) => managed(f.referencedTable)))) return schema;
  return {
    ...schema,
    tables: schema.tables.filter((t) => managed(t.name)).map((t) => ({ ...t, foreignKeys: t.foreignKeys.filter((f) => managed(f.referencedTable)) })),
  };
}

/** The same for a live or expected physical schema. */
export function managedPhysical(schema: PhysicalSchema, managed: ManagedTable): PhysicalSchema {
  return {
    tables: schema.tables.filter((t) => managed(t.name)).map((t) => ({ ...t, foreignKeys: t.foreignKeys.filter((f) => managed(f.referencedTable)) })),
  };
}

/** What `managedSchema` leaves out of `schema`, in words (`table legacy_user`, `foreign key order.order_customer_id_foreign → legacy_customer`). */
export function leftOut(schema: SchemaSnapshot, managed: ManagedTable): string[] {
  const tables = schema.tables.filter((t) => !managed(t.name)).map((t) => `table ${t.name}`);
  const keys = schema.tables
    .filter((t) => managed(t.name))
    .flatMap((t) => t.foreignKeys.filter((f) => !managed(f.referencedTable)).map((f) => `foreign key ${t.name}.${f.name} → ${f.referencedTable}`));
  return [...tables, ...keys];
}

/**
 * What tidemark manages under a config: its `tables` setting, less the bookkeeping tables (the
 * version table, and MikroORM's `mikro_orm_migrations`, which a database adopted from
 * MikroORM's migrations keeps), which no setting brings in.
 */
export function configuredTables(config: { tables?: TablePatterns; tableName: string }): ManagedTable {
  return managedTables(config.tables, [config.tableName, 'mikro_orm_migrations']);
}
