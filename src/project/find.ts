import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, parse, relative, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';

/** Names a tidemark config may have, in the order they are looked for in each directory. */
export const TIDEMARK_CONFIG_NAMES = ['tidemark.config.ts', 'tidemark.config.mts', 'tidemark.config.js', 'tidemark.config.mjs'];

/** Where the project is: its tidemark config, or else the app's MikroORM config, and the directory relative paths start from. */
export interface ProjectLocation {
  /** Absolute path of the tidemark config, when there is one. */
  tidemarkConfig?: string;
  /** Absolute path of the app's MikroORM config found by MikroORM's CLI search (only without a tidemark config). */
  mikroOrmConfig?: string;
  /** The directory of the tidemark config, or the project root holding the MikroORM config. */
  baseDir: string;
}

export interface FindInput {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `--config`, or `TIDEMARK_CONFIG` when the flag is absent. */
  config?: string;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `dir` and each of its parents up to the filesystem root. */
function* upward(dir: string): Generator<string> {
  let at = resolve(dir);
  const root = parse(at).root;
  for (;;) {
    yield at;
    if (at === root) return;
    at = dirname(at);
  }
}

/** The nearest directory at or above `dir` that holds a package.json, else `fallback`. */
export function packageRoot(dir: string, fallback = dir): string {
  for (const d of upward(dir)) if (isFile(join(d, 'package.json'))) return d;
  return resolve(fallback);
}

function packageConfigPaths(dir: string): string[] {
  const file = join(dir, 'package.json');
  if (!isFile(file)) return [];
  try {
    const paths = JSON.parse(readFileSync(file, 'utf8'))?.['mikro-orm']?.configPaths;
    return Array.isArray(paths) ? paths.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The files MikroORM's CLI would try in `dir`, in its order (CLIHelper.getConfigPaths): the
 * package.json's `mikro-orm.configPaths`, the TypeScript configs (tidemark always loads
 * TypeScript), then the compiled `.js` one in dist/, build/ or src/.
 */
export function mikroOrmConfigCandidates(dir: string): string[] {
  const built = existsSync(join(dir, 'dist')) ? 'dist' : existsSync(join(dir, 'build')) ? 'build' : 'src';
  const paths = [
    ...packageConfigPaths(dir),
    './src/mikro-orm.config.ts',
    './mikro-orm.config.ts',
    `./${built}/mikro-orm.config.js`,
    './mikro-orm.config.js',
  ];
  return [...new Set(paths.map((p) => resolve(dir, p)))];
}

/**
 * Where MikroORM's CLI looks for its config, in its order (see mikroOrmConfigCandidates): the one
 * description of the search, for messages and --help.
 */
export const MIKRO_ORM_CONFIG_SEARCH =
  'MIKRO_ORM_CLI_CONFIG, package.json "mikro-orm.configPaths", src/mikro-orm.config.ts, mikro-orm.config.ts, dist/mikro-orm.config.js (build/ or src/ without dist/), mikro-orm.config.js';

export interface MikroOrmSearch {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A path the user named (`--mikro-orm`), relative to `cwd`; it must exist. Comes before `MIKRO_ORM_CLI_CONFIG`. */
  given?: { path: string; from: string };
}

export interface MikroOrmConfigFound {
  /** Absolute path of the MikroORM config. */
  file: string;
  /** The package root it belongs to: where the app's `mikro-orm` CLI runs from. */
  baseDir: string;
}

/**
 * The app's MikroORM config where MikroORM's CLI finds it: a named file or `MIKRO_ORM_CLI_CONFIG`
 * (relative to `cwd`, as MikroORM takes it; it must exist), else the first candidate in the
 * nearest package root from `cwd` upward. Undefined when there is none.
 */
export function findMikroOrmConfig(search: MikroOrmSearch): MikroOrmConfigFound | undefined {
  const { cwd, env } = search;
  const named = search.given ?? (env.MIKRO_ORM_CLI_CONFIG ? { path: env.MIKRO_ORM_CLI_CONFIG, from: 'MIKRO_ORM_CLI_CONFIG' } : undefined);
  if (named) {
    const file = resolve(cwd, named.path);
    if (!isFile(file)) throw new ConfigError(`MikroORM config not found: ${named.path} (from ${named.from})`);
    return { file, baseDir: packageRoot(dirname(file), cwd) };
  }
  // MikroORM's CLI runs from a package's root, so only those are searched (from src/, its own
  // `./mikro-orm.config.ts` would be src/mikro-orm.config.ts seen from the wrong directory).
  const roots = [...upward(cwd)].filter((dir) => isFile(join(dir, 'package.json')));
  for (const dir of roots.length ? roots : [resolve(cwd)]) {
    const file = mikroOrmConfigCandidates(dir).find(isFile);
    if (file) return { file, baseDir: dir };
  }
  return undefined;
}

/**
 * Tidemark configs a few levels below `dir` (a monorepo root, an app's parent folder): only for
 * the message when none is found above, so the scan is shallow and skips dependencies.
 */
function configsBelow(dir: string, depth = 3): string[] {
  const found: string[] = [];
  const walk = (d: string, left: number) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (found.length >= 3) return;
      if (e.isFile() && d !== dir && TIDEMARK_CONFIG_NAMES.includes(e.name)) found.push(join(d, e.name));
      else if (e.isDirectory() && left > 0 && !e.name.startsWith('.') && e.name !== 'node_modules') walk(join(d, e.name), left - 1);
    }
  };
  walk(dir, depth);
  return found.sort();
}

/**
 * Finds the project the way git finds a repository: from `cwd` upward to the filesystem root.
 * An explicit config (`--config` or `TIDEMARK_CONFIG`) must exist. Otherwise the nearest
 * tidemark config wins; without one anywhere above, the app's MikroORM config (findMikroOrmConfig).
 */
export function findProject(input: FindInput): ProjectLocation {
  const { cwd, env } = input;
  const explicit = input.config ?? (env.TIDEMARK_CONFIG || undefined);
  if (explicit) {
    const file = resolve(cwd, explicit);
    if (!isFile(file)) {
      const from = input.config ? '' : ' (from TIDEMARK_CONFIG)';
      throw new ConfigError(`config file not found: ${explicit}${from}; create one with \`tidemark init\`, or fix the path`);
    }
    return { tidemarkConfig: file, baseDir: dirname(file) };
  }
  for (const dir of upward(cwd)) {
    for (const name of TIDEMARK_CONFIG_NAMES) {
      const file = join(dir, name);
      if (isFile(file)) return { tidemarkConfig: file, baseDir: dir };
    }
  }
  const app = findMikroOrmConfig({ cwd, env });
  if (app) return { mikroOrmConfig: app.file, baseDir: app.baseDir };
  const below = configsBelow(resolve(cwd));
  const hint = below.length
    ? `; found ${below.map((f) => relative(cwd, f)).join(', ')} below: run tidemark from there, or pass --config ${relative(cwd, below[0]!)}`
    : '; create one with `tidemark init`, or pass --config <path>';
  throw new ConfigError(
    `config file not found: tidemark.config.ts, nor a MikroORM config (${MIKRO_ORM_CONFIG_SEARCH}), in ${resolve(cwd)} or any directory above it${hint}`,
  );
}
