import { globSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EntityEntry, MetadataSettings, ResolvedConfig } from '../config.ts';
import { EntityError } from '../errors.ts';
import { firstLine } from '../history/history.ts';
import { installTsLoader, loadUserModules } from '../loader/ts-loader.ts';
import { culprit } from '../project/culprit.ts';
import type { DialectName } from '../dialect/dialect.ts';

/** What MikroORM's discovery is given, and what tidemark needs to name an entity's file. */
export interface LoadedEntities {
  /** Entity classes and EntitySchema objects (defineEntity results), each once. */
  entities: unknown[];
  /** Entity name → the file it was exported from (as printed), where known. */
  files: Map<string, string>;
  metadata: MetadataSettings;
  /** The app's root: MikroORM and its driver are resolved from here. */
  projectRoot: string;
  /** The dialect of the database URL, when one is configured: its driver reads the metadata when the app names none. */
  dialect?: DialectName;
}

// MikroORM keeps these registries on globalThis under well-known symbols, so tidemark can tell
// an entity from any other export without loading MikroORM itself.
const META_SYMBOL = Symbol.for('@mikro-orm/core/MetadataStorage.META_SYMBOL');
const PATH_SYMBOL = Symbol.for('@mikro-orm/core/MetadataStorage.PATH_SYMBOL');
const REGISTRY = Symbol.for('@mikro-orm/core/EntitySchema.REGISTRY');

type SchemaLike = { meta: { className?: string; name?: string; class?: unknown } };

/** MikroORM's own test (EntitySchema.is): an instance, or one from another copy of the package. */
export function isEntitySchema(v: unknown): v is SchemaLike {
  return typeof v === 'object' && v !== null && (v as object).constructor?.name === 'EntitySchema' && 'meta' in v;
}

function schemaOfClass(v: Function): SchemaLike | undefined {
  return ((globalThis as Record<symbol, unknown>)[REGISTRY] as Map<unknown, SchemaLike> | undefined)?.get(v);
}

/** A class MikroORM would discover from a file: decorated (legacy or ES), or linked to an EntitySchema. */
function isEntityClass(v: Function): boolean {
  if (Object.hasOwn(v, META_SYMBOL)) return true;
  const storage = (globalThis as Record<string, unknown>)['mikro-orm-metadata'] as Record<string, { className?: string }> | undefined;
  return !!v.name && !!storage && Object.values(storage).some((m) => m?.className === v.name);
}

/**
 * The entities among a module's exports, as MikroORM's folder discovery picks them: EntitySchemas
 * (a class linked to one counts once, as its schema) and decorated classes. Enums, helpers,
 * constants and types are left alone.
 */
export function entitiesOf(mod: Record<string, unknown>): unknown[] {
  const values = Object.values(mod);
  const linked = new Set(values.filter(isEntitySchema).map((s) => s.meta.class));
  const out: unknown[] = [];
  for (const v of values) {
    let entity: unknown;
    if (isEntitySchema(v)) entity = v;
    else if (typeof v === 'function' && !linked.has(v)) entity = schemaOfClass(v) ?? (isEntityClass(v) ? v : undefined);
    if (entity !== undefined && !out.includes(entity)) out.push(entity);
  }
  return out;
}

/**
 * A class with property decorators but no `@Entity()` (nor `@Embeddable()`): MikroORM takes it for
 * an abstract base and silently leaves its table out. That is right for a base class other
 * entities extend, and a slip anywhere else.
 */
function missingEntityDecorator(v: unknown, all: unknown[]): boolean {
  if (typeof v !== 'function') return false;
  const meta = (Object.hasOwn(v, META_SYMBOL) ? (v as unknown as Record<symbol, unknown>)[META_SYMBOL] : undefined) as { class?: unknown } | undefined;
  // @Entity() and @Embeddable() point the metadata at the class; property decorators alone leave
  // MikroORM's stand-in class there.
  if (!meta || meta.class === v) return false;
  return !all.some((other) => typeof other === 'function' && other !== v && other.prototype instanceof v);
}

/** The name MikroORM knows an entity by. */
export function entityName(entity: unknown): string | undefined {
  if (isEntitySchema(entity)) return entity.meta.className ?? entity.meta.name ?? (entity.meta.class as Function | undefined)?.name;
  if (typeof entity === 'function') return entity.name;
  return undefined;
}

const show = (file: string) => relative(process.cwd(), file) || file;
const isDirectory = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/**
 * The files the string entries match, as MikroORM's discovery reads them: `!pattern` excludes
 * across the whole list, a folder means every file under it, only .js/.ts files (no .d.ts).
 */
function matchFiles(patterns: string[], baseDir: string, source: string): Map<string, string> {
  const glob = (p: string) => globSync(!/[*?[\]{}]/.test(p) && isDirectory(resolve(baseDir, p)) ? join(p, '**') : p, { cwd: baseDir }).map((f) => resolve(baseDir, f));
  const excluded = new Set(patterns.filter((p) => p.startsWith('!')).flatMap((p) => glob(p.slice(1))));
  const files = new Map<string, string>();
  for (const p of patterns.filter((q) => !q.startsWith('!'))) {
    const matched = glob(p).filter((f) => /\.[cm]?[jt]s$/.test(f) && !/\.d\.[cm]?ts$/.test(f) && !isDirectory(f));
    if (matched.length === 0) throw new EntityError(`${source}: entities '${p}' matches no file (relative to ${show(baseDir) || '.'})`);
    for (const f of matched) if (!excluded.has(f) && !files.has(f)) files.set(f, p);
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The entities the config names: classes and schemas as given, files matched by globs imported. */
export async function loadEntities(config: ResolvedConfig): Promise<LoadedEntities> {
  installTsLoader({ cacheDir: config.cacheDir });
  const entities: unknown[] = [];
  const files = new Map<string, string>();
  const add = (entity: unknown, file?: string) => {
    if (entities.includes(entity)) return;
    entities.push(entity);
    const name = entityName(entity);
    const path = file ?? (typeof entity === 'function' ? ((entity as unknown as Record<symbol, unknown>)[PATH_SYMBOL] as string | undefined) : undefined);
    if (name && path && !files.has(name)) files.set(name, show(path.startsWith('file:') ? fileURLToPath(path) : path));
  };
  // An empty list from the app's MikroORM config is a setup tidemark cannot read (nothing to
  // discover), never "the app has no tables": that would generate a migration dropping them all.
  if (config.entities.length === 0 && config.entitiesFromMikroOrm) {
    throw new EntityError(`${config.entitiesSource} lists no entities (entities or entitiesTs): list them there, or in tidemark.config.ts`);
  }
  const patterns: string[] = [];
  for (const entry of config.entities as EntityEntry[]) {
    if (typeof entry === 'string') patterns.push(entry);
    else add(entry);
  }
  if (patterns.length > 0) {
    const matched = matchFiles(patterns, config.entitiesBaseDir, config.entitiesSource);
    // One import graph for all of them (see loadUserModules): loading stays linear in files.
    const mods = await loadUserModules([...matched.keys()], (file, error) => {
      const at = culprit(error, file);
      return new EntityError(`cannot load entity file ${show(file)}${at ? ` (in ${at})` : ''}: ${firstLine(error)}`);
    });
    [...matched].forEach(([file, pattern], i) => {
      const found = entitiesOf(mods[i]!);
      if (found.length === 0) {
        throw new EntityError(
          `entity file ${show(file)} (matched by '${pattern}' in ${config.entitiesSource}) exports no entity: export an entity class or defineEntity/EntitySchema from it, or leave it out of the globs ('!${relative(config.entitiesBaseDir, file)}')`,
        );
      }
      for (const entity of found) add(entity, file);
    });
  }
  for (const entity of entities) {
    if (!missingEntityDecorator(entity, entities)) continue;
    const name = entityName(entity)!;
    const file = files.get(name);
    throw new EntityError(`${name}${file ? ` (${file})` : ''} has property decorators but no @Entity(): add @Entity() above the class (or, for a base class, extend it from an entity)`);
  }
  return { entities, files, metadata: config.metadata, projectRoot: config.projectRoot, dialect: config.url?.dialect };
}
