import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DEFAULT_CONFIG, SNAPSHOT_FILE } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { mikroOrmConfigCandidates, TIDEMARK_CONFIG_NAMES } from '../project/find.ts';

export interface InitOptions {
  /** The app's root, where the config is written. Default: the working directory. */
  cwd?: string;
  /** The app's MikroORM config file, instead of looking for it. */
  mikroOrm?: string;
  /** Overwrite an existing tidemark config. */
  force?: boolean;
  /** For `MIKRO_ORM_CLI_CONFIG`. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface InitResult {
  /** The config file written (absolute). */
  configFile: string;
  /** Its text. */
  text: string;
  /** The MikroORM config it points at, as written in it (`./src/mikro-orm.config.ts`); undefined when none was found. */
  mikroOrm?: string;
  /** The migrations folder (absolute) and whether init created it. */
  migrationsDir: string;
  createdMigrationsDir: boolean;
  /** An existing tidemark.config.ts was replaced (`force`). */
  overwritten: boolean;
  /** Things to look at before the first migration. */
  warnings: string[];
  /** What to run next. */
  next: string;
}

const MIGRATIONS = './migrations';

/** `./src/x.ts` for a file under `cwd`, forward slashes on every platform. */
function asWritten(cwd: string, file: string): string {
  const rel = relative(cwd, file).split(sep).join('/');
  return rel.startsWith('../') || isAbsolute(rel) ? rel : `./${rel}`;
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/** The app's MikroORM config where MikroORM's CLI would take it from in `cwd` (`MIKRO_ORM_CLI_CONFIG` first). */
function findMikroOrmConfig(cwd: string, env: NodeJS.ProcessEnv, given?: string): string | undefined {
  const explicit = given ?? (env.MIKRO_ORM_CLI_CONFIG || undefined);
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    if (!isFile(file)) throw new ConfigError(`${given !== undefined ? '--mikro-orm' : 'MIKRO_ORM_CLI_CONFIG'} ${explicit}: file not found`);
    return asWritten(cwd, file);
  }
  const found = mikroOrmConfigCandidates(cwd).find(isFile);
  return found && asWritten(cwd, found);
}

/**
 * The migrations folder a MikroORM config names in plain sight (`migrations: { pathTs: './src/migrations' }`,
 * else `path`), relative to the app's root as MikroORM takes it; anything computed is not
 * guessed at and `./migrations` is used.
 */
export function migrationsFolderIn(mikroOrmText: string): string | undefined {
  const block = /\bmigrations\s*:\s*\{([^{}]*)\}/.exec(mikroOrmText)?.[1];
  if (!block) return undefined;
  const named = (key: string) => new RegExp(`\\b${key}\\s*:\\s*(['"])([^'"\\n]+)\\1`).exec(block)?.[2];
  const path = named('pathTs') ?? named('path');
  if (!path || isAbsolute(path)) return undefined;
  const normal = path.replace(/\\/g, '/').replace(/\/+$/, '');
  return normal.startsWith('./') || normal.startsWith('../') ? normal : `./${normal}`;
}

/** A string literal as TypeScript source. */
const literal = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function configText(mikroOrm: string | undefined, migrations: string): string {
  if (mikroOrm) {
    return `import { defineConfig } from 'tidemark';

export default defineConfig({
  // Entities, naming and database come from the app's MikroORM config.
  mikroOrm: ${literal(mikroOrm)},
  migrations: ${literal(migrations)},
  // Another database than the MikroORM config's (DATABASE_URL and --url override both):
  // url: 'postgres://user@localhost:5432/app',
});
`;
  }
  return `import { defineConfig } from 'tidemark';

// No MikroORM config was found (src/mikro-orm.config.ts, mikro-orm.config.ts or package.json
// "mikro-orm.configPaths"). Edit the two lines marked EDIT: where the entity classes are, and
// the database to migrate (sqlite:./file.db, postgres://user@host:5432/db, mysql://…, mariadb://…;
// DATABASE_URL and --url take precedence).
export default defineConfig({
  entities: ['./src/**/*.entity.ts'], // EDIT: globs relative to this file, or entity classes
  migrations: ${literal(migrations)},
  url: 'sqlite:./app.db', // EDIT
});
`;
}

/** Files in `dir` that are not tidemark's: the folder probably holds MikroORM's own migrations. */
function foreignMigrations(dir: string): number {
  if (!existsSync(dir)) return 0;
  const names = readdirSync(dir);
  if (names.includes(SNAPSHOT_FILE)) return 0;
  return names.filter((n) => /\.[mc]?[jt]s$/.test(n) && !/\.d\.[mc]?ts$/.test(n)).length;
}

/**
 * Writes `tidemark.config.ts` in the app's root, pointing at the app's MikroORM config when it
 * has one, and creates the migrations folder. Refuses to replace an existing config unless
 * `force`.
 */
export function initProject(options: InitOptions = {}): InitResult {
  const cwd = resolve(options.cwd ?? process.cwd());
  const configFile = join(cwd, DEFAULT_CONFIG);
  const existing = TIDEMARK_CONFIG_NAMES.filter((name) => existsSync(join(cwd, name)));
  if (existing.length && !options.force) throw new ConfigError(`${existing[0]} already exists: edit it, or pass --force to replace it`);
  if (existsSync(configFile) && !statSync(configFile).isFile()) throw new ConfigError(`${DEFAULT_CONFIG} exists and is not a file`);
  const exists = existing.includes(DEFAULT_CONFIG);
  const mikroOrm = findMikroOrmConfig(cwd, options.env ?? process.env, options.mikroOrm);
  const migrations = (mikroOrm && migrationsFolderIn(readFileSync(resolve(cwd, mikroOrm), 'utf8'))) || MIGRATIONS;
  const migrationsDir = resolve(cwd, migrations);
  if (existsSync(migrationsDir) && !statSync(migrationsDir).isDirectory()) {
    throw new ConfigError(`${migrations} exists and is not a folder: move it away, then run init again`);
  }
  // tidemark.config.ts is looked for first: another name beside it would no longer be read.
  const warnings = existing.filter((name) => name !== DEFAULT_CONFIG).map((name) => `${name} is no longer read (${DEFAULT_CONFIG} comes first): delete it`);
  const foreign = foreignMigrations(migrationsDir);
  if (foreign) {
    warnings.push(
      `${migrations} already holds ${foreign} file(s) tidemark did not write (MikroORM's own migrations?): tidemark loads every .ts/.js file there, so move them or set 'migrations' in ${DEFAULT_CONFIG} to another folder`,
    );
  }
  const text = configText(mikroOrm, migrations);
  const createdMigrationsDir = !existsSync(migrationsDir);
  mkdirSync(migrationsDir, { recursive: true });
  writeFileSync(configFile, text);
  return {
    configFile,
    text,
    mikroOrm,
    migrationsDir,
    createdMigrationsDir,
    overwritten: exists,
    warnings,
    next: 'npx tidemark gen-migration -m "init"',
  };
}
