import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checksumOf, migrationFiles } from '../history/history.ts';
import { normalizeSchema } from '../schema/normalize.ts';
import { SNAPSHOT_FORMAT, type SchemaSnapshot } from '../schema/types.ts';

declare const TIDEMARK_VERSION: string;
const VERSION = typeof TIDEMARK_VERSION === 'string' ? TIDEMARK_VERSION : 'dev';

/**
 * Where the schema at the head of the history is cached. `cacheDir` is the project's own cache
 * folder (node_modules/.cache/tidemark), never under version control; `snapshotFile` is where
 * versions before the cache kept it, inside the migrations folder (read, never written).
 * A ResolvedConfig is one.
 */
export interface SnapshotPlaces {
  cacheDir: string;
  migrationsDir: string;
  snapshotFile: string;
}

/** The migration files of `dir` with their checksums, in file-name order (cheap: no imports). */
export function fileChecksums(dir: string): { file: string; checksum: string }[] {
  return migrationFiles(dir).map((f) => ({ file: basename(f), checksum: checksumOf(readFileSync(f, 'utf8')) }));
}

/** What seals a stored schema to the files it was computed from. */
export function sealOf(files: { file: string; checksum: string }[], snapshot: SchemaSnapshot): string {
  const { format, head, tables } = normalizeSchema(snapshot);
  return `sha256:${createHash('sha256').update(JSON.stringify({ files, format, head, tables })).digest('hex')}`;
}

/**
 * The cache file of one migrations folder: several folders (a monorepo package with two
 * histories, a test) never share one.
 */
export function cacheFile(places: SnapshotPlaces): string {
  const dir = resolve(places.migrationsDir);
  const key = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  return join(places.cacheDir, 'schema', `${basename(dir).replace(/[^\w.-]+/g, '_')}-${key}.json`);
}

/**
 * The cached schema when its seal shows it is exactly what the migration files, byte for
 * byte, replay to; else the pre-cache `migrations/.tidemark-snapshot.json` when its seal
 * holds; else undefined (the caller replays the history). Anything unreadable is no cache.
 */
export function sealedSchema(places: SnapshotPlaces): SchemaSnapshot | undefined {
  let files: { file: string; checksum: string }[] | undefined;
  const holds = (data: SchemaSnapshot | undefined) => {
    if (data?.format !== SNAPSHOT_FORMAT || !Array.isArray(data.tables) || typeof data.seal !== 'string') return false;
    files ??= fileChecksums(places.migrationsDir);
    return data.seal === sealOf(files, data);
  };
  const cached = readJson(cacheFile(places)) as (SchemaSnapshot & { tidemark?: string }) | undefined;
  // Another version may replay the same files differently: its cache is not this one's.
  if (cached?.tidemark === VERSION && holds(cached)) return normalizeSchema(cached);
  const legacy = readJson(places.snapshotFile) as SchemaSnapshot | undefined;
  return holds(legacy) ? normalizeSchema(legacy!) : undefined;
}

/**
 * Caches `snapshot` as the schema of the migration files now in the folder, sealed to them.
 * Returns whether the cache changed. Best effort unless `strict`: a cache that cannot be written
 * (read-only file system, no permission) is recomputed next time, so that is no error.
 */
export function writeSealedSchema(places: SnapshotPlaces, snapshot: SchemaSnapshot, options: { strict?: boolean } = {}): boolean {
  const file = cacheFile(places);
  const plain = normalizeSchema(snapshot);
  const text = `${JSON.stringify({ tidemark: VERSION, migrations: resolve(places.migrationsDir), ...plain, seal: sealOf(fileChecksums(places.migrationsDir), plain) }, null, 2)}\n`;
  try {
    if (readText(file) === text) return false;
    writeFileAtomic(file, text);
    return true;
  } catch (error) {
    if (options.strict) throw error;
    return false;
  }
}

/**
 * Once per cache folder, while the pre-cache `migrations/.tidemark-snapshot.json` exists: the
 * line that says it is no longer used. Undefined when there is none or it was said before.
 */
export function legacySnapshotNotice(places: SnapshotPlaces, shown: (p: string) => string): string | undefined {
  if (!existsSync(places.snapshotFile)) return undefined;
  const marker = `${cacheFile(places).replace(/\.json$/, '')}.legacy-noticed`;
  if (existsSync(marker)) return undefined;
  try {
    writeFileAtomic(marker, `${places.snapshotFile}\n`);
  } catch {
    // Not recorded: said again next time, which beats never saying it.
  }
  const file = shown(places.snapshotFile);
  return `${file} is no longer used or updated: tidemark now caches the schema in ${shown(join(places.cacheDir, 'schema'))}, outside git, and rebuilds it from the migrations when they change; delete it from git (git rm ${file})`;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readJson(file: string): unknown {
  const text = readText(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Writes via a temporary file and a rename, so a crash or a concurrent run never leaves half a file. */
export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
