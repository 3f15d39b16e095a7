/**
 * The only module that reads MikroORM's entity metadata: it turns the app's entities (decorated
 * classes, defineEntity, EntitySchema) into a dialect-neutral `SchemaSnapshot`, discovered with
 * the app's own settings (naming strategy, metadata provider, driver). Everything after this
 * point is plain data.
 */
import type { EntityMetadata, EntityProperty, NamingStrategy } from '@mikro-orm/core';
import type { DialectName } from '../dialect/dialect.ts';
import { normalizeSchema } from '../schema/normalize.ts';
import { mysqlType, postgresType, sqliteType } from '../dialect/types.ts';
import { canonicalType } from '../introspect/physical.ts';
import { fitIdentifier, identifierProblem } from '../schema/naming.ts';
import type { ColumnDef, ColumnType, ForeignKeyDef, IndexDef, ReferentialAction, SchemaSnapshot, TableDef } from '../schema/types.ts';
import { SNAPSHOT_FORMAT } from '../schema/types.ts';
import type { RenameHints } from '../diff/diff.ts';
import { renamedFromOf } from '../runtime/renamed-from.ts';
import { ConfigError } from '../errors.ts';
import { firstLine } from '../history/history.ts';
import { entityName, type LoadedEntities } from '../commands/entities.ts';
import { driverDialect } from '../project/mikro-orm-config.ts';
import { DRIVER_PACKAGES, driverMikroOrm, exportOf, importPackage, installCommand, resolveBeside, resolveFromApp } from '../project/packages.ts';

/** An entity whose metadata cannot be turned into a table (or that MikroORM could not discover). */
export class EntityMappingError extends Error {
  override name = 'EntityMappingError';
}

const TYPE_NAMES: Record<string, ColumnType> = {
  string: 'string', varchar: 'string', 'character varying': 'string', stringtype: 'string',
  nvarchar: 'string', varchar2: 'string',
  // reflect-metadata sees no type for a union (`string | null`); MikroORM makes it a string.
  any: 'string', unknown: 'string',
  char: 'char', character: 'char', nchar: 'char', bpchar: 'char', charactertype: 'char',
  text: 'text', texttype: 'text', mediumtext: 'text', longtext: 'text', tinytext: 'text', clob: 'text', citext: 'text',
  number: 'integer', integer: 'integer', int: 'integer', int4: 'integer', integertype: 'integer', mediumint: 'integer', mediuminttype: 'integer', serial: 'integer',
  tinyint: 'tinyint', tinyinttype: 'tinyint',
  smallint: 'smallint', int2: 'smallint', smallinttype: 'smallint', smallserial: 'smallint',
  bigint: 'bigint', int8: 'bigint', biginttype: 'bigint', bigserial: 'bigint',
  float: 'float', real: 'float', float4: 'float', floattype: 'float',
  double: 'double', 'double precision': 'double', float8: 'double', doubletype: 'double',
  decimal: 'decimal', numeric: 'decimal', decimaltype: 'decimal', dec: 'decimal',
  boolean: 'boolean', bool: 'boolean', booleantype: 'boolean',
  datetime: 'datetime', timestamp: 'datetime', timestamptz: 'datetime', datetimetype: 'datetime', datetime2: 'datetime',
  'timestamp with time zone': 'datetime', 'timestamp without time zone': 'datetime',
  date: 'date', datetype: 'date',
  time: 'time', timetype: 'time', 'time without time zone': 'time',
  json: 'json', jsonb: 'json', jsontype: 'json', object: 'json',
  uuid: 'uuid', uuidtype: 'uuid',
  blob: 'blob', buffer: 'blob', uint8array: 'blob', blobtype: 'blob', bytea: 'blob', uint8arraytype: 'blob',
  longblob: 'blob', mediumblob: 'blob', tinyblob: 'blob', binary: 'blob', varbinary: 'blob',
  enum: 'enum', enumtype: 'enum',
  array: 'array', arraytype: 'array', enumarraytype: 'array',
};

/** A column spec parsed from an SQL type (`numeric(12,4)`, `varchar(80)`), or undefined when it names no type tidemark has. */
export function parseColumnType(columnType: string): Pick<ColumnDef, 'type' | 'length' | 'precision' | 'scale'> | undefined {
  const m = /^\s*([a-z][a-z0-9_ ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*(unsigned)?\s*(?:with(?:out)? time zone)?\s*$/i.exec(columnType);
  if (!m) return undefined;
  const base = m[1]!.toLowerCase();
  const a = m[2] === undefined ? undefined : Number(m[2]);
  const b = m[3] === undefined ? undefined : Number(m[3]);
  // MySQL's boolean is tinyint(1).
  if (base === 'tinyint' && a === 1) return { type: 'boolean' };
  const type = TYPE_NAMES[base];
  if (!type) return undefined;
  if (type === 'string') return { type, length: a ?? 255 };
  if (type === 'char') return { type, length: a ?? 1 };
  if ((type === 'datetime' || type === 'time') && a) return { type, length: a };
  if (type === 'decimal') return { type, precision: a ?? 10, scale: b ?? 0 };
  return { type };
}

/**
 * The name of the property's type. A custom type (`class Money extends DecimalType`) is known by
 * the nearest MikroORM type it extends, so it maps the same whichever platform read it.
 */
function typeName(prop: EntityProperty): string {
  if (prop.customType) {
    for (let proto = Object.getPrototypeOf(prop.customType); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      const name = (proto.constructor as Function | undefined)?.name;
      if (name && TYPE_NAMES[name.toLowerCase()]) return name;
    }
  }
  const t: unknown = prop.customType?.constructor?.name ?? prop.type;
  if (typeof t === 'function') return t.name;
  if (t && typeof t === 'object') return t.constructor.name;
  return String(t ?? '');
}

/** What the app itself wrote on a property, before MikroORM's discovery filled in what the reading platform (SQLite's) derives. */
interface Written {
  columnType?: string;
  length?: number;
  unsigned?: boolean;
  index?: boolean | string;
}

type Explicit = Map<EntityProperty, Written>;

type TypeSpec = Pick<ColumnDef, 'type' | 'length' | 'precision' | 'scale' | 'items' | 'columnType'>;

/** The dialect whose own declaration of the parsed type is exactly the written one (`jsonb`, `tinyint(1)`), if any. */
function nativeDialectOf(written: string, spec: TypeSpec): DialectName | undefined {
  const col = { name: '', ...spec } as ColumnDef;
  const candidates: [DialectName, string][] = [['postgresql', postgresType(col)], ['mysql', mysqlType(col)], ['sqlite', sqliteType(col)]];
  return candidates.find(([d, native]) => canonicalType(d, native) === canonicalType(d, written))?.[0];
}

const PORTABLE_COLUMN_TYPE = /^\s*(?:(?:varchar|char|character)\s*\(\s*\d+\s*\)|(?:numeric|decimal)\s*\(\s*\d+\s*(?:,\s*\d+\s*)?\)|int|integer|bigint|smallint|text|date)\s*$/i;

/** The column's type: a `columnType` the app wrote wins, then the property's type, then the type MikroORM derived. */
function columnTypeOf(meta: EntityMetadata, prop: EntityProperty, explicit: Explicit): TypeSpec {
  const items = (prop.items ?? []) as unknown[];
  // MikroORM stores an enum of strings as one, anything else (numbers, or a const enum whose
  // items it cannot see) in a tinyint.
  const enumArray = prop.customType?.constructor?.name === 'EnumArrayType' || (prop.enum && prop.array);
  if (enumArray) return items.length ? { type: 'array', items: items.map(String) } : { type: 'array' };
  if (prop.enum) return items.length && items.every((i) => typeof i === 'string') ? { type: 'enum', items: items as string[] } : { type: 'tinyint' };
  const written = explicit.get(prop)?.columnType;
  const fromColumnType = written !== undefined ? parseColumnType(written) : undefined;
  // MikroORM declares a written type verbatim on every platform; tidemark does too where all
  // three dialects accept the spelling, else it declares each dialect's own type for it.
  if (fromColumnType) {
    if (PORTABLE_COLUMN_TYPE.test(written!)) return { ...fromColumnType, columnType: written!.trim().toLowerCase() };
    const spelledBy = nativeDialectOf(written!, fromColumnType);
    if (spelledBy) return fromColumnType;
    throw new EntityMappingError(
      `${meta.className}.${prop.name}: columnType '${written}' is not declared the same on SQLite, PostgreSQL and MySQL/MariaDB, and one migrations folder serves all three; write type: '${fromColumnType.type}' (declared per dialect as MikroORM does), or a columnType every dialect accepts (varchar(n), char(n), numeric(p,s), int, bigint, smallint, text, date)`,
    );
  }
  const name = typeName(prop);
  // `Date` (the runtime class) is a timestamp; `'date'` (MikroORM's DateType) is a calendar date.
  const mapped = name === 'Date' ? 'datetime' : TYPE_NAMES[name.toLowerCase()];
  if (mapped) {
    const spec: TypeSpec = { type: mapped };
    if (mapped === 'string') spec.length = prop.length ?? 255;
    if (mapped === 'char') spec.length = prop.length ?? 1;
    if ((mapped === 'datetime' || mapped === 'time') && prop.length) spec.length = prop.length;
    if (mapped === 'decimal') {
      spec.precision = prop.precision ?? 10;
      spec.scale = prop.scale ?? 0;
    }
    return spec;
  }
  const derived = prop.columnTypes?.[0] ? parseColumnType(prop.columnTypes[0]) : undefined;
  if (derived) return derived;
  throw new EntityMappingError(
    `${meta.className}.${prop.name}: cannot map type '${name}'${written ? ` (columnType '${written}')` : ''} to a column type (give it one of: string, text, integer, bigint, float, double, decimal, boolean, datetime, date, json, uuid, or a columnType such as 'varchar(80)' or 'numeric(12,4)')`,
  );
}

function defaults(prop: EntityProperty): Pick<ColumnDef, 'default' | 'defaultRaw'> {
  const d = prop.default as unknown;
  if (d !== undefined && d !== null) {
    if (typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean') return { default: d };
  }
  if (prop.defaultRaw !== undefined && prop.defaultRaw !== null) return { defaultRaw: String(prop.defaultRaw) };
  return {};
}

/** Raw defaults that only some dialects run, with what to write instead (MikroORM writes raw defaults verbatim everywhere). */
const DIALECT_DEFAULTS: [RegExp, string, string][] = [
  [/^\s*now\s*\(\s*\)\s*$/i, 'SQLite has no now()', `defaultRaw: 'current_timestamp'`],
  [/^\s*(localtimestamp|current_timestamp\s*\(\s*\d+\s*\))\s*$/i, 'SQLite has no such timestamp', `defaultRaw: 'current_timestamp'`],
  [/\b(gen_random_uuid|uuid_generate_v[1-4])\s*\(/i, 'it is PostgreSQL only', 'a value from the entity (`id = randomUUID()`)'],
  [/^\s*uuid\s*\(\s*\)\s*$/i, 'it is MySQL only', 'a value from the entity (`id = randomUUID()`)'],
  [/\bnextval\s*\(/i, 'it is PostgreSQL only', 'autoincrement, or a value from the entity'],
];

function refuseDialectDefault(meta: EntityMetadata, prop: EntityProperty, raw: string): void {
  const hit = DIALECT_DEFAULTS.find(([re]) => re.test(raw));
  if (hit) {
    throw new EntityMappingError(`${meta.className}.${prop.name}: defaultRaw '${raw}' does not run on every dialect (${hit[1]}), and one migrations folder serves SQLite, PostgreSQL and MySQL/MariaDB; use ${hit[2]}`);
  }
}

const NUMERIC: ReadonlySet<ColumnType> = new Set(['integer', 'tinyint', 'smallint', 'bigint', 'float', 'double', 'decimal']);

function scalarColumn(meta: EntityMetadata, prop: EntityProperty, fieldName: string, ctx: MappingContext): ColumnDef {
  const col: ColumnDef = { name: fieldName, ...columnTypeOf(meta, prop, ctx.explicit) };
  if (prop.nullable) col.nullable = true;
  if (prop.primary) col.primary = true;
  if (prop.primary && prop.autoincrement && (col.type === 'integer' || col.type === 'bigint')) col.autoincrement = true;
  // MikroORM makes numeric keys unsigned where the platform has unsigned types (MySQL, MariaDB),
  // and any numeric column the app marked unsigned.
  const unsigned = ctx.explicit.get(prop)?.unsigned ?? (prop.primary ? true : undefined);
  if (unsigned && NUMERIC.has(col.type)) col.unsigned = true;
  Object.assign(col, defaults(prop));
  if (col.defaultRaw !== undefined && !prop.version) refuseDialectDefault(meta, prop, col.defaultRaw);
  if (prop.version && col.type === 'datetime') {
    // Each platform writes "now" its own way (SQLite's is an strftime expression), at MikroORM's
    // version precision of 3 where the app gave none.
    delete col.default;
    delete col.defaultRaw;
    col.defaultNow = true;
    if (ctx.explicit.get(prop)?.length === undefined) col.length = 3;
  }
  if (prop.comment) col.comment = prop.comment;
  return col;
}

function action(rule: unknown): ReferentialAction | undefined {
  const r = typeof rule === 'string' ? rule.toLowerCase() : undefined;
  return r === 'cascade' || r === 'set null' || r === 'restrict' || r === 'no action' || r === 'set default' ? r : undefined;
}

const isOwningRelation = (prop: EntityProperty) => prop.kind === 'm:1' || (prop.kind === '1:1' && prop.owner);

interface MappingContext {
  all: Map<string, EntityMetadata>;
  naming: NamingStrategy;
  explicit: Explicit;
  /** The default schema of the app (PostgreSQL); an entity in another one cannot be expressed. */
  schema?: string;
  defaultDeleteRule?: string;
  defaultUpdateRule?: string;
  /** How many checks each entity wrote: MikroORM appends its own for enums, which tidemark makes itself. */
  userChecks: Map<string, number>;
}

/** What tidemark cannot express yet; named rather than silently dropped. */
function refuseUnsupported(meta: EntityMetadata, ctx: MappingContext): void {
  const m = meta as EntityMetadata & { view?: boolean; inheritanceType?: string; tptParent?: unknown };
  if (m.view) throw new EntityMappingError(`${meta.className}: view entities are not supported yet (tidemark migrates tables)`);
  if (m.inheritanceType === 'tpt') throw new EntityMappingError(`${meta.className}: table-per-type inheritance is not supported yet; use single-table inheritance (discriminatorColumn)`);
  if (meta.schema && meta.schema !== '*' && meta.schema !== (ctx.schema ?? 'public')) {
    throw new EntityMappingError(`${meta.className}: schema '${meta.schema}' is not supported (tidemark migrates one schema: set it with ?schema= on the URL)`);
  }
  for (const prop of meta.props) {
    if (prop.persist === false || prop.formula) continue;
    if ((prop as { polymorphic?: boolean }).polymorphic) throw new EntityMappingError(`${meta.className}.${prop.name}: polymorphic relations are not supported yet`);
    if (prop.generated) throw new EntityMappingError(`${meta.className}.${prop.name}: generated columns are not supported yet`);
  }
  for (const idx of [...meta.indexes, ...meta.uniques]) {
    if (!idx.properties || (idx as { expression?: unknown }).expression) {
      throw new EntityMappingError(`${meta.className}: index ${idx.name ? `'${idx.name}' ` : ''}with an expression is not supported yet; create it with this.sql(...) in a migration`);
    }
  }
}

function tableOf(meta: EntityMetadata, ctx: MappingContext): TableDef {
  refuseUnsupported(meta, ctx);
  const table = meta.tableName;
  const nameFor = (columns: string[], kind: 'index' | 'unique' | 'foreign') => fitIdentifier(ctx.naming.indexName(table, columns, kind));
  const columns: ColumnDef[] = [];
  const indexes: IndexDef[] = [];
  const foreignKeys: ForeignKeyDef[] = [];
  const fieldsOf = (names: string | string[]) =>
    (Array.isArray(names) ? names : [names]).flatMap((n) => meta.properties[n]?.fieldNames ?? [n]);

  for (const prop of meta.props) {
    if (prop.persist === false || prop.formula) continue;
    if (prop.kind === 'embedded') {
      // An embeddable is one JSON column (`object: true`) or its own properties as prefixed
      // columns, which MikroORM lists among the entity's properties.
      if (!prop.object || insideObject(meta, prop)) continue;
      columns.push({ name: prop.fieldNames[0]!, type: 'json', ...(prop.nullable ? { nullable: true } : {}), ...(prop.comment ? { comment: prop.comment } : {}) });
      continue;
    }
    if (prop.kind === 'scalar') {
      if (insideObject(meta, prop)) continue;
      columns.push(scalarColumn(meta, prop, prop.fieldNames[0]!, ctx));
    } else if (isOwningRelation(prop)) {
      const target = ctx.all.get(prop.targetMeta?.className ?? prop.type);
      if (!target) throw new EntityMappingError(`${meta.className}.${prop.name} points at ${prop.type}, which is not among the entities: add its file to entities in the config (or make it an @Entity())`);
      const refCols = prop.referencedColumnNames;
      prop.fieldNames.forEach((field, i) => {
        const targetProp = target.props.find((p) => p.fieldNames?.[0] === refCols[i]) ?? target.properties[target.primaryKeys[i]!]!;
        const ref = scalarColumn(target, targetProp, field, ctx);
        delete ref.autoincrement;
        delete ref.default;
        delete ref.defaultRaw;
        delete ref.defaultNow;
        delete ref.comment;
        const col: ColumnDef = { ...ref, name: field };
        if (prop.nullable) col.nullable = true;
        else delete col.nullable;
        if (prop.primary) col.primary = true;
        else delete col.primary;
        if (prop.comment) col.comment = prop.comment;
        columns.push(col);
      });
      const fk: ForeignKeyDef = {
        name: typeof prop.foreignKeyName === 'string' ? prop.foreignKeyName : nameFor(prop.fieldNames, 'foreign'),
        columns: [...prop.fieldNames],
        referencedTable: target.tableName,
        referencedColumns: [...refCols],
      };
      const onDelete = action(prop.deleteRule ?? ctx.defaultDeleteRule);
      const onUpdate = action(prop.updateRule ?? ctx.defaultUpdateRule);
      if (onDelete) fk.onDelete = onDelete;
      if (onUpdate) fk.onUpdate = onUpdate;
      foreignKeys.push(fk);
      const index = ctx.explicit.get(prop)?.index;
      if (prop.kind === '1:1' || prop.unique) {
        // A one-to-one that is the primary key is unique already.
        if (!(prop.primary && !meta.compositePK)) {
          indexes.push({ name: typeof prop.unique === 'string' ? prop.unique : nameFor(prop.fieldNames, 'unique'), columns: [...prop.fieldNames], unique: true });
        }
      } else if (index !== false && !hasOwnIndex(meta, prop)) {
        // MikroORM indexes a many-to-one's columns (a pivot table's included) where its platform
        // indexes foreign keys (SQLite, MySQL, MariaDB), and on every platform when the app asked.
        const name = typeof index === 'string' ? index : typeof prop.index === 'string' ? prop.index : nameFor(prop.fieldNames, 'index');
        indexes.push({ name, columns: [...prop.fieldNames], ...(index ? {} : { foreignKey: true }) });
      }
      continue;
    } else {
      continue;
    }
    if (prop.unique && !(prop.primary && !meta.compositePK)) {
      const name = typeof prop.unique === 'string' ? prop.unique : nameFor(prop.fieldNames, 'unique');
      indexes.push({ name, columns: [...prop.fieldNames], unique: true });
    }
    if (prop.index) {
      const name = typeof prop.index === 'string' ? prop.index : nameFor(prop.fieldNames, 'index');
      indexes.push({ name, columns: [...prop.fieldNames] });
    }
  }
  for (const idx of meta.indexes) {
    const cols = fieldsOf(idx.properties as string | string[]);
    const fulltext = (idx as { type?: string }).type === 'fulltext';
    indexes.push({ name: idx.name ?? nameFor(cols, 'index'), columns: cols, ...(fulltext ? { type: 'fulltext' as const } : {}) });
  }
  for (const u of meta.uniques) {
    const cols = fieldsOf(u.properties as string | string[]);
    indexes.push({ name: u.name ?? nameFor(cols, 'unique'), columns: cols, unique: true });
  }
  const checks = meta.checks.slice(0, ctx.userChecks.get(meta.className) ?? 0).map((c) => {
    if (typeof c.expression !== 'string') throw new EntityMappingError(`${meta.className}: check ${c.name ?? ''} has no SQL expression`);
    return { name: c.name ?? nameFor(c.property ? fieldsOf(c.property as string) : [], 'check' as never), expression: c.expression };
  });
  const seen = new Set<string>();
  refuseBadNames(meta, table, columns, [...indexes, ...foreignKeys, ...checks]);
  return {
    name: table,
    columns,
    indexes: indexes.filter((i) => (seen.has(i.name) ? false : (seen.add(i.name), true))),
    foreignKeys,
    ...(checks.length ? { checks } : {}),
    ...(meta.comment ? { comment: meta.comment } : {}),
  };
}

/**
 * Names every dialect accepts, checked here so gen-migration refuses them instead of
 * `migrate up` failing on one server (or PostgreSQL silently truncating two into one). Names
 * tidemark derives are already made to fit (`fitIdentifier`); these are the ones the entity or
 * its naming strategy chose.
 */
function refuseBadNames(meta: EntityMetadata, table: string, columns: ColumnDef[], named: { name: string; columns?: string[] }[]): void {
  const problem = identifierProblem(table);
  if (problem) throw new EntityMappingError(`${meta.className}: table name '${table}' ${problem}; give the entity a tableName that fits`);
  for (const c of columns) {
    const p = identifierProblem(c.name);
    if (!p) continue;
    const prop = meta.props.find((x) => x.fieldNames?.includes(c.name));
    throw new EntityMappingError(`${meta.className}.${prop?.name ?? c.name}: column name '${c.name}' ${p}; set fieldName to one that fits`);
  }
  for (const n of named) {
    const p = identifierProblem(n.name);
    if (!p) continue;
    const prop = n.columns?.length ? meta.props.find((x) => x.fieldNames?.length && n.columns!.every((c, i) => x.fieldNames[i] === c)) : undefined;
    throw new EntityMappingError(`${meta.className}${prop ? `.${prop.name}` : ''}: name '${n.name}' ${p}; give it a name that fits`);
  }
}

/** A property stored inside an embeddable kept as one JSON column (`object: true`), at any depth. */
function insideObject(meta: EntityMetadata, prop: EntityProperty): boolean {
  for (let parent = prop.embedded ? meta.properties[prop.embedded[0]] : undefined; parent; parent = parent.embedded ? meta.properties[parent.embedded[0]] : undefined) {
    if (parent.object) return true;
  }
  return false;
}

/** The app declared a one-column index on this relation itself (`@Index({ properties: ['author'] })`), so MikroORM adds none. */
function hasOwnIndex(meta: EntityMetadata, prop: EntityProperty): boolean {
  return meta.indexes.some((idx) => {
    const props = idx.properties === undefined ? [] : Array.isArray(idx.properties) ? idx.properties : [idx.properties];
    return props.length === 1 && props[0] === prop.name;
  });
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

type MikroOrmClass = new (options: Record<string, unknown>) => {
  getMetadata(): { getAll(): Map<unknown, EntityMetadata> };
  config: { getNamingStrategy(): NamingStrategy };
};

const READING = 'reading the entities';

/** The MikroORM class of the core whose entry file is `core`. */
async function coreMikroOrm(core: string | undefined, root: string): Promise<MikroOrmClass> {
  const pkg = '@mikro-orm/core';
  if (!core) throw new ConfigError(`${READING} needs ${pkg}: ${installCommand(pkg, root)}`);
  return exportOf<MikroOrmClass>(await importPackage<Record<string, unknown>>(core, pkg), 'MikroORM', pkg);
}

/**
 * The MikroORM class whose platform reads the metadata, and its dialect, from the app's own
 * packages (so an app without @mikro-orm/sqlite works). The driver class the app configured is
 * handed to the core its driver package resolves, the copy that driver runs with; without one,
 * the driver package of the URL's dialect (else SQLite's) gives its MikroORM, set up with that
 * driver and its own core.
 */
async function mikroOrmFor(input: LoadedEntities): Promise<{ MikroORM: MikroOrmClass; dialect: DialectName | undefined }> {
  const root = input.projectRoot;
  const configured = driverDialect(input.metadata.driver);
  if (configured === 'unsupported') {
    // A driver tidemark knows no package of: the app's core is the best guess.
    return { MikroORM: await coreMikroOrm(resolveFromApp('@mikro-orm/core', root), root), dialect: undefined };
  }
  if (configured) {
    // The app's config loaded that driver already; it may come from another package of the dialect (@mikro-orm/libsql).
    const driver = resolveFromApp(DRIVER_PACKAGES[configured], root);
    const core = driver ? resolveBeside('@mikro-orm/core', driver) : resolveFromApp('@mikro-orm/core', root);
    return { MikroORM: await coreMikroOrm(core, root), dialect: configured };
  }
  const dialect = input.dialect ?? 'sqlite';
  return { MikroORM: await driverMikroOrm<MikroOrmClass>(dialect, root, READING), dialect };
}

async function metadataProviderFor(input: LoadedEntities): Promise<unknown> {
  if (input.metadata.metadataProvider) return input.metadata.metadataProvider;
  if (input.metadata.defaultProvider !== 'reflect') return undefined;
  // A tidemark config alone: types inferred from decorator metadata (`@Property() name!: string`).
  const pkg = '@mikro-orm/decorators/legacy';
  const legacy = resolveFromApp(pkg, input.projectRoot);
  if (!legacy) return undefined;
  return exportOf(await importPackage<Record<string, unknown>>(legacy, pkg), 'ReflectMetadataProvider', pkg);
}

/**
 * A discovery error as one line naming the entity (and its file) it is about: the one the
 * message names, else the one that fails the same way when MikroORM discovers it alone (with
 * what it references), which is how a `TypeError` from an undefined import is pinned down.
 */
function discoveryError(error: unknown, input: LoadedEntities, retry: (entity: unknown) => unknown): EntityMappingError {
  const message = firstLine(error);
  const duplicate = /Duplicate table names are not allowed: (\S+)/.exec(message)?.[1];
  if (duplicate) {
    // MikroORM names the table only; the classes are found by discovering each alone.
    const owners = input.entities.slice(0, 500).flatMap((entity) => {
      try {
        const orm = retry(entity) as InstanceType<MikroOrmClass>;
        return [...orm.getMetadata().getAll().values()].some((m) => m.className === entityName(entity) && m.tableName === duplicate) ? [entityName(entity)!] : [];
      } catch {
        return [];
      }
    });
    if (owners.length > 1) {
      const where = owners.map((n) => `${n}${input.files.get(n) ? ` (${input.files.get(n)})` : ''}`).join(' and ');
      return new EntityMappingError(`${where} both map to table '${duplicate}': give one of them another tableName`);
    }
  }
  const names = [...new Set([...input.files.keys(), ...input.entities.map(entityName).filter((n): n is string => !!n)])];
  // The entity the message is about: `Post.author`, `entity 'Post'`, or any entity named in it.
  const mentioned = (re: (n: string) => RegExp) => names.find((n) => re(n.replace(/[$]/g, '\\$')).test(message));
  let subject = mentioned((n) => new RegExp(`(^|[^\\w$])${n}\\.[\\w$]+`)) ?? mentioned((n) => new RegExp(`(^|[^\\w$])${n}([^\\w$]|$)`));
  for (const entity of subject ? [] : input.entities.slice(0, 500)) {
    try {
      retry(entity);
    } catch (again) {
      if (firstLine(again) === message) {
        subject = entityName(entity);
        break;
      }
    }
  }
  const file = subject ? input.files.get(subject) : undefined;
  const at = (name: string) => (input.files.get(name) ? ` (${input.files.get(name)})` : '');
  // The two slips behind most discovery errors, said as what to change.
  const abstract = /^([\w$]+)\.([\w$]+) targets abstract entity ([\w$]+)\./.exec(message);
  if (abstract) {
    const [, owner, prop, target] = abstract;
    return new EntityMappingError(`${owner}.${prop}${at(owner!)} points at ${target}, which is not an entity: add @Entity() to ${target}${at(target!)}`);
  }
  const unknown = /^Entity '([\w$]+)' was not discovered.*\(used in ([\w$]+)\.([\w$]+)\)/.exec(message);
  if (unknown) {
    const [, target, owner, prop] = unknown;
    return new EntityMappingError(`${owner}.${prop}${at(owner!)} points at ${target}, which is not among the entities: add its file to entities in the config (or make ${target} an @Entity() in a file the globs match)`);
  }
  const where = subject ? `entity ${subject}${file ? ` (${file})` : ''}` : `entities (${[...new Set(input.files.values())].join(', ') || 'as listed in the config'})`;
  return new EntityMappingError(`MikroORM cannot discover ${where}: ${message}`);
}

/** A mapping error prefixed with the file of the entity it names; anything else thrown while mapping it, named after it. */
function withFile(error: unknown, meta: EntityMetadata, files: Map<string, string>): EntityMappingError {
  const mapped = error instanceof EntityMappingError ? error : new EntityMappingError(`${meta.className}: cannot be mapped to a table: ${firstLine(error)}`);
  const file = files.get(meta.className);
  return file ? new EntityMappingError(`${file}: ${mapped.message}`) : mapped;
}

/** The app's entities → the schema they describe (and renames stated in code). Never opens a database. */
export async function snapshotFromEntities(input: LoadedEntities): Promise<{ schema: SchemaSnapshot; renames: RenameHints }> {
  const { MikroORM, dialect } = await mikroOrmFor(input);
  const metadataProvider = await metadataProviderFor(input);
  const settings = input.metadata;
  const appDiscovery = settings.discovery ?? {};
  // What the app wrote (`columnType: 'numeric(12,4)'`, `length`, `unsigned`, `index`), seen
  // before MikroORM fills in what the reading platform derives: written values are honoured,
  // derived ones are re-derived per dialect when the migration compiles.
  const written = new Map<string, Map<string, Written>>();
  const userChecks = new Map<string, number>();
  const onMetadata = (meta: EntityMetadata, platform: unknown) => {
    const own = new Map<string, Written>();
    for (const prop of Object.values(meta.properties)) {
      const w: Written = {};
      if (prop.columnTypes?.[0]) w.columnType = prop.columnTypes[0];
      if (prop.length !== undefined && prop.length !== null) w.length = prop.length;
      if (prop.unsigned !== undefined && prop.unsigned !== null) w.unsigned = prop.unsigned;
      if (prop.index !== undefined && prop.index !== null) w.index = prop.index;
      own.set(prop.name, w);
    }
    written.set(meta.className, own);
    userChecks.set(meta.className, meta.checks?.length ?? 0);
    return (appDiscovery.onMetadata as ((m: EntityMetadata, p: unknown) => unknown) | undefined)?.(meta, platform);
  };
  const options: Record<string, unknown> = {
    ...settings.extra,
    entities: input.entities,
    entitiesTs: [],
    dbName: dialect === 'sqlite' ? ':memory:' : 'tidemark_metadata',
    discovery: { ...appDiscovery, warnWhenNoEntities: false, skipSyncDiscovery: false, onMetadata },
    metadataCache: { enabled: false },
    allowGlobalContext: true,
    debug: false,
  };
  if (settings.driver) options.driver = settings.driver;
  if (settings.namingStrategy) options.namingStrategy = settings.namingStrategy;
  if (metadataProvider) options.metadataProvider = metadataProvider;
  if (settings.schema) options.schema = settings.schema;

  let orm: InstanceType<MikroOrmClass>;
  try {
    orm = new MikroORM(options);
  } catch (error) {
    throw discoveryError(error, input, (entity) => new MikroORM({ ...options, entities: [entity] }));
  }
  const metas = [...orm.getMetadata().getAll().values()];
  const byClass = new Map(metas.map((m) => [m.className, m]));
  const explicit: Explicit = new Map();
  for (const meta of metas) {
    // A single-table-inheritance root carries its children's properties too.
    const family = metas.filter((m) => m === meta || m.root === meta || m.root?.class === meta.class).map((m) => written.get(m.className));
    for (const prop of meta.props) {
      const w = family.map((own) => own?.get(prop.name)).find((c) => c !== undefined);
      if (!w) continue;
      // A relation's column type follows its target's primary key.
      explicit.set(prop, prop.kind === 'scalar' ? w : { ...w, columnType: undefined });
    }
  }
  const schemaGenerator = (settings.extra?.schemaGenerator ?? {}) as { defaultDeleteRule?: string; defaultUpdateRule?: string };
  const ctx: MappingContext = {
    all: byClass,
    naming: orm.config.getNamingStrategy(),
    explicit,
    schema: settings.schema,
    defaultDeleteRule: schemaGenerator.defaultDeleteRule,
    defaultUpdateRule: schemaGenerator.defaultUpdateRule,
    userChecks,
  };
  // The tables MikroORM's own schema generator creates: one per root entity (an abstract
  // single-table-inheritance root included), none for embeddables or virtual entities.
  const tableMetas = metas.filter((m) => !m.embeddable && !m.virtual && m.tableName && (!m.root || m.root === m || m.root.class === m.class));
  const names = new Map<string, string>();
  for (const m of tableMetas) {
    const other = names.get(m.tableName);
    if (other) throw new EntityMappingError(`${m.className} and ${other} both map to table '${m.tableName}'`);
    names.set(m.tableName, m.className);
  }
  const tables = tableMetas.map((m) => {
    try {
      return tableOf(m, ctx);
    } catch (error) {
      throw withFile(error, m, input.files);
    }
  });
  return { schema: normalizeSchema({ format: SNAPSHOT_FORMAT, head: null, tables }), renames: renameHints(tableMetas) };
}
