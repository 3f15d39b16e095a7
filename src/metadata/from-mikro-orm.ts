/**
 * The only module that reads MikroORM's entity metadata: it turns decorated classes into a
 * dialect-neutral `SchemaSnapshot`. Everything after this point is plain data.
 */
import type { EntityMetadata, EntityProperty } from '@mikro-orm/core';
import { normalizeSchema } from '../schema/normalize.ts';
import { constraintName } from '../schema/naming.ts';
import type { ColumnDef, ColumnType, ForeignKeyDef, IndexDef, ReferentialAction, SchemaSnapshot, TableDef } from '../schema/types.ts';
import { SNAPSHOT_FORMAT } from '../schema/types.ts';
import type { RenameHints } from '../diff/diff.ts';
import { renamedFromOf } from '../runtime/renamed-from.ts';

/** An entity whose metadata cannot be turned into a table. */
export class EntityMappingError extends Error {
  override name = 'EntityMappingError';
}

const TYPE_NAMES: Record<string, ColumnType> = {
  string: 'string', varchar: 'string', 'character varying': 'string', stringtype: 'string', char: 'string',
  text: 'text', texttype: 'text', mediumtext: 'text', longtext: 'text', tinytext: 'text',
  number: 'integer', integer: 'integer', int: 'integer', int4: 'integer', integertype: 'integer', mediumint: 'integer', mediuminttype: 'integer',
  smallint: 'smallint', int2: 'smallint', tinyint: 'smallint', smallinttype: 'smallint', tinyinttype: 'smallint',
  bigint: 'bigint', int8: 'bigint', biginttype: 'bigint',
  float: 'float', real: 'float', float4: 'float', floattype: 'float',
  double: 'double', 'double precision': 'double', float8: 'double', doubletype: 'double',
  decimal: 'decimal', numeric: 'decimal', decimaltype: 'decimal',
  boolean: 'boolean', bool: 'boolean', booleantype: 'boolean',
  datetime: 'datetime', timestamp: 'datetime', timestamptz: 'datetime', datetimetype: 'datetime',
  date: 'date', datetype: 'date',
  time: 'time', timetype: 'time',
  json: 'json', jsonb: 'json', jsontype: 'json', object: 'json',
  uuid: 'uuid', uuidtype: 'uuid',
  blob: 'blob', buffer: 'blob', uint8array: 'blob', blobtype: 'blob', bytea: 'blob', uint8arraytype: 'blob',
  enum: 'enum', enumtype: 'enum', enumarraytype: 'json',
};

function typeName(prop: EntityProperty): string {
  const t: unknown = prop.customType?.constructor?.name ?? prop.type;
  if (typeof t === 'function') return t.name;
  if (t && typeof t === 'object') return t.constructor.name;
  return String(t ?? '');
}

function logicalType(meta: EntityMetadata, prop: EntityProperty): ColumnType {
  if (prop.enum && prop.items?.length) return 'enum';
  const name = typeName(prop);
  // `Date` (the runtime class) is a timestamp; `'date'` (MikroORM's DateType) is a calendar date.
  if (name === 'Date') return 'datetime';
  const mapped = TYPE_NAMES[name.toLowerCase()];
  if (mapped) return mapped;
  const column = prop.columnTypes?.[0]?.replace(/\(.*$/, '').trim().toLowerCase();
  if (column && TYPE_NAMES[column]) return TYPE_NAMES[column];
  throw new EntityMappingError(
    `${meta.className}.${prop.name}: cannot map type '${name}' to a column type (give @Property({ type: ... }) one of: string, text, integer, bigint, float, double, decimal, boolean, datetime, date, json, uuid)`,
  );
}

function lengthOf(prop: EntityProperty): number | undefined {
  if (prop.length) return prop.length;
  const m = /^(var)?char\((\d+)\)/i.exec(prop.columnTypes?.[0] ?? '');
  return m ? Number(m[2]) : undefined;
}

function defaults(prop: EntityProperty): Pick<ColumnDef, 'default' | 'defaultRaw'> {
  const d = prop.default as unknown;
  if (d !== undefined && d !== null) {
    if (typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean') return { default: d };
  }
  if (prop.defaultRaw !== undefined && prop.defaultRaw !== null) return { defaultRaw: String(prop.defaultRaw) };
  return {};
}

function scalarColumn(meta: EntityMetadata, prop: EntityProperty, fieldName: string): ColumnDef {
  const type = logicalType(meta, prop);
  const col: ColumnDef = { name: fieldName, type };
  if (type === 'string') col.length = lengthOf(prop) ?? 255;
  if (type === 'decimal') {
    col.precision = prop.precision ?? 10;
    col.scale = prop.scale ?? 0;
  }
  if (type === 'enum') col.items = (prop.items ?? []).map(String);
  if (prop.nullable) col.nullable = true;
  if (prop.primary) col.primary = true;
  if (prop.primary && prop.autoincrement && (type === 'integer' || type === 'bigint')) col.autoincrement = true;
  Object.assign(col, defaults(prop));
  return col;
}

function action(rule: unknown): ReferentialAction | undefined {
  const r = typeof rule === 'string' ? rule.toLowerCase() : undefined;
  return r === 'cascade' || r === 'set null' || r === 'restrict' || r === 'no action' || r === 'set default' ? r : undefined;
}

const isOwningRelation = (prop: EntityProperty) => prop.kind === 'm:1' || (prop.kind === '1:1' && prop.owner);

function tableOf(meta: EntityMetadata, all: Map<string, EntityMetadata>): TableDef {
  const table = meta.tableName;
  const columns: ColumnDef[] = [];
  const indexes: IndexDef[] = [];
  const foreignKeys: ForeignKeyDef[] = [];
  const fieldsOf = (names: string | string[]) =>
    (Array.isArray(names) ? names : [names]).flatMap((n) => meta.properties[n]?.fieldNames ?? [n]);

  for (const prop of meta.props) {
    if (prop.persist === false || prop.formula) continue;
    if (prop.kind === 'embedded' || prop.embedded) {
      throw new EntityMappingError(`${meta.className}.${prop.name}: embeddables are not supported yet; use columns on the entity, or a json property`);
    }
    if (prop.kind === 'scalar') {
      columns.push(scalarColumn(meta, prop, prop.fieldNames[0]!));
    } else if (isOwningRelation(prop)) {
      const target = all.get(prop.targetMeta?.className ?? prop.type);
      if (!target) throw new EntityMappingError(`${meta.className}.${prop.name}: target entity '${prop.type}' is not among the entities`);
      const refCols = prop.referencedColumnNames;
      prop.fieldNames.forEach((field, i) => {
        const targetProp = target.props.find((p) => p.fieldNames?.[0] === refCols[i]) ?? target.properties[target.primaryKeys[i]!]!;
        const ref = scalarColumn(target, targetProp, field);
        delete ref.autoincrement;
        delete ref.default;
        delete ref.defaultRaw;
        const col: ColumnDef = { ...ref, name: field };
        if (prop.nullable) col.nullable = true;
        else delete col.nullable;
        if (prop.primary) col.primary = true;
        else delete col.primary;
        columns.push(col);
      });
      const fk: ForeignKeyDef = {
        name: constraintName(table, prop.fieldNames, 'foreign'),
        columns: [...prop.fieldNames],
        referencedTable: target.tableName,
        referencedColumns: [...refCols],
      };
      const onDelete = action(prop.deleteRule);
      const onUpdate = action(prop.updateRule);
      if (onDelete) fk.onDelete = onDelete;
      if (onUpdate) fk.onUpdate = onUpdate;
      foreignKeys.push(fk);
      if (prop.kind === '1:1' || prop.unique) indexes.push({ name: constraintName(table, prop.fieldNames, 'unique'), columns: [...prop.fieldNames], unique: true });
      else if (!prop.primary) indexes.push({ name: constraintName(table, prop.fieldNames, 'index'), columns: [...prop.fieldNames] });
      continue;
    } else {
      continue;
    }
    if (prop.unique) {
      const name = typeof prop.unique === 'string' ? prop.unique : constraintName(table, prop.fieldNames, 'unique');
      indexes.push({ name, columns: [...prop.fieldNames], unique: true });
    }
    if (prop.index) {
      const name = typeof prop.index === 'string' ? prop.index : constraintName(table, prop.fieldNames, 'index');
      indexes.push({ name, columns: [...prop.fieldNames] });
    }
  }
  for (const idx of meta.indexes) {
    if (!idx.properties) continue;
    const cols = fieldsOf(idx.properties as string | string[]);
    indexes.push({ name: idx.name ?? constraintName(table, cols, 'index'), columns: cols });
  }
  for (const u of meta.uniques) {
    if (!u.properties) continue;
    const cols = fieldsOf(u.properties as string | string[]);
    indexes.push({ name: u.name ?? constraintName(table, cols, 'unique'), columns: cols, unique: true });
  }
  const seen = new Set<string>();
  return {
    name: table,
    columns,
    indexes: indexes.filter((i) => (seen.has(i.name) ? false : (seen.add(i.name), true))),
    foreignKeys,
  };
}

/** The renames stated with `@RenamedFrom`, as table and column names. */
function renameHints(metas: EntityMetadata[]): RenameHints {
  const hints: Required<RenameHints> = { tables: {}, columns: {} };
  for (const meta of metas) {
    const stated = meta.class ? renamedFromOf(meta.class as Function) : undefined;
    if (!stated) continue;
    if (stated.table) hints.tables[stated.table] = meta.tableName;
    for (const [prop, old] of Object.entries(stated.properties)) {
      const field = meta.properties[prop]?.fieldNames?.[0];
      if (!field) throw new EntityMappingError(`${meta.className}.${prop}: @RenamedFrom('${old}') is on something that is not a column`);
      hints.columns[`${meta.tableName}.${old}`] = field;
    }
  }
  return hints;
}

/** Decorated entity classes → the schema they describe (and renames stated in code). Never opens a database. */
export async function snapshotFromEntities(entities: Function[]): Promise<{ schema: SchemaSnapshot; renames: RenameHints }> {
  const { MikroORM } = await import('@mikro-orm/sqlite');
  const { ReflectMetadataProvider } = await import('@mikro-orm/decorators/legacy');
  const orm = new MikroORM({
    entities,
    dbName: ':memory:',
    metadataProvider: ReflectMetadataProvider,
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: true,
  });
  const metas = [...orm.getMetadata().getAll().values()];
  const byClass = new Map(metas.map((m) => [m.className, m]));
  const tables = metas
    .filter((m) => !m.embeddable && !m.virtual && !m.abstract && m.tableName && (!m.root || m.root === m))
    .map((m) => tableOf(m, byClass));
  const names = new Map<string, string>();
  for (const m of metas) {
    if (!m.tableName || m.embeddable || m.virtual || m.abstract || (m.root && m.root !== m)) continue;
    const other = names.get(m.tableName);
    if (other) throw new EntityMappingError(`${m.className} and ${other} both map to table '${m.tableName}'`);
    names.set(m.tableName, m.className);
  }
  const entitiesOnly = metas.filter((m) => !m.embeddable && !m.virtual && !m.abstract && m.tableName && (!m.root || m.root === m));
  return { schema: normalizeSchema({ format: SNAPSHOT_FORMAT, head: null, tables }), renames: renameHints(entitiesOnly) };
}
