import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DEFAULT_CONFIG, resolveConfig, SNAPSHOT_FILE } from '../config.ts';
import { ConfigError, TidemarkError } from '../errors.ts';
import { findMikroOrmConfig, MIKRO_ORM_CONFIG_SEARCH, packageRoot, TIDEMARK_CONFIG_NAMES } from '../project/find.ts';

export interface InitOptions {
  /** Where init runs; the config is written at its package root (the nearest package.json at or above). Default: the working directory. */
  cwd?: string;
  /** The app's MikroORM config file (relative to `cwd`), instead of looking for it. */
  mikroOrm?: string;
  /** Overwrite an existing tidemark config. */
  force?: boolean;
  /** For `MIKRO_ORM_CLI_CONFIG` and `MIKRO_ORM_CONTEXT_NAME`. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface InitResult {
  /** The config file written (absolute). */
  configFile: string;
  /** Its text. */
  text: string;
  /** The MikroORM config it points at, as written in it (`./src/mikro-orm.config.ts`); undefined when none was found. */
  mikroOrm?: string;
  /** The migrations folder every command resolves from the written config (absolute), and whether init created it. */
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

/** `./src/x.ts` for a file under `root`, forward slashes on every platform. */
function asWritten(root: string, file: string): string {
  const rel = relative(root, file).split(sep).join('/');
  return rel.startsWith('../') || isAbsolute(rel) ? rel : `./${rel}`;
}

/** A string literal as TypeScript source. */
const literal = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** `text` as `// ` comment lines of at most about 100 characters. */
function comment(text: string): string {
  const lines: string[] = [];
  let line = '//';
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > 100 && line !== '//') {
      lines.push(line);
      line = '//';
    }
    line += ` ${word}`;
  }
  return [...lines, line].join('\n');
}

/**
 * The config init writes. With a MikroORM config it names no migrations folder: tidemark then
 * takes the app's own (`migrations.pathTs`/`path`, computed or not), else ./migrations.
 */
export function configText(mikroOrm: string | undefined): string {
  if (mikroOrm) {
    return `import { defineConfig } from 'tidemark';

export default defineConfig({
  // Entities, naming, database and migrations folder come from the app's MikroORM config.
  mikroOrm: ${literal(mikroOrm)},
  // Another migrations folder than the MikroORM config's (migrations.pathTs, else path, else ./migrations):
  // migrations: './db/migrations',
  // Another database than the MikroORM config's (DATABASE_URL and --url override both):
  // url: 'postgres://user@localhost:5432/app',
});
`;
  }
  return `import { defineConfig } from 'tidemark';

${comment(`No MikroORM config was found (looked for: ${MIKRO_ORM_CONFIG_SEARCH}). Edit the two lines marked EDIT: where the entity classes are, and the database to migrate (sqlite:./file.db, postgres://user@host:5432/db, mysql://…, mariadb://…; DATABASE_URL and --url take precedence).`)}
export default defineConfig({
  entities: ['./src/**/*.entity.ts'], // EDIT: globs relative to this file, or entity classes
  migrations: ${literal(MIGRATIONS)},
  url: 'sqlite:./app.db', // EDIT
});
`;
}

/** Files in `dir` that are not tidemark's: the folder probably holds MikroORM's own migrations. */
function foreignMigrations(dir: string): number {
  if (!existsSync(dir)) return 0;
  const names = readdirSync(dir);
  if (names.includes(SNAPSHOT_FILE)) return 0;
  // No snapshot file marks a tidemark folder any more (the schema is cached elsewhere): its migrations extend TidemarkMigration.
  return names.filter((n) => /\.[mc]?[jt]s$/.test(n) && !/\.d\.[mc]?ts$/.test(n) && !/\bTidemarkMigration\b/.test(readFileSync(join(dir, n), 'utf8'))).length;
}

const show = (file: string) => relative(process.cwd(), file) || '.';

/**
 * Writes `tidemark.config.ts` at the app's package root (the nearest package.json at or above
 * `cwd`), pointing at the app's MikroORM config when it has one, and creates the migrations
 * folder: the one every later command resolves from the written config. When that cannot be
 * resolved (the MikroORM config does not load), nothing is written: the error is the one every
 * later command would give, and init can simply be run again once it is fixed. Refuses to
 * replace an existing config unless `force`.
 */
export async function initProject(options: InitOptions = {}): Promise<InitResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const root = packageRoot(cwd);
  const configFile = join(root, DEFAULT_CONFIG);
  const existing = TIDEMARK_CONFIG_NAMES.filter((name) => existsSync(join(root, name)));
  const shownName = (name: string) => show(join(root, name));
  if (existing.length && !options.force) throw new ConfigError(`${shownName(existing[0]!)} already exists: edit it, or pass --force to replace it`);
  if (existsSync(configFile) && !statSync(configFile).isFile()) throw new ConfigError(`${shownName(DEFAULT_CONFIG)} exists and is not a file`);
  const given = options.mikroOrm !== undefined ? { path: options.mikroOrm, from: '--mikro-orm' } : undefined;
  const found = findMikroOrmConfig({ cwd, env, given });
  const mikroOrm = found && asWritten(root, found.file);
  const text = configText(mikroOrm);
  const exists = existing.includes(DEFAULT_CONFIG);
  // The folder every later command will use: the written config, resolved before it is written
  // (inline, from the same directory) so that a MikroORM config that does not load leaves
  // nothing behind. The shell's DATABASE_URL is no concern of init's.
  let migrationsDir = resolve(root, MIGRATIONS);
  if (mikroOrm) {
    try {
      migrationsDir = (await resolveConfig({ inline: { mikroOrm }, cwd: root, env: { ...env, DATABASE_URL: '' } })).migrationsDir;
    } catch (error) {
      if (error instanceof TidemarkError) error.message = `${error.message}; ${shownName(DEFAULT_CONFIG)} not written`;
      throw error;
    }
  }
  if (existsSync(migrationsDir) && !statSync(migrationsDir).isDirectory()) {
    throw new ConfigError(`migrations folder ${show(migrationsDir)} exists and is not a folder: move it away, then run init again`);
  }

  // tidemark.config.ts is looked for first: another name beside it would no longer be read.
  const warnings = existing.filter((name) => name !== DEFAULT_CONFIG).map((name) => `${shownName(name)} is no longer read (${DEFAULT_CONFIG} comes first): delete it`);
  const foreign = foreignMigrations(migrationsDir);
  if (foreign) {
    warnings.push(
      `${show(migrationsDir)} already holds ${foreign} file(s) tidemark did not write (MikroORM's own migrations?): tidemark loads every .ts/.js file there, so move them or set 'migrations' in ${DEFAULT_CONFIG} to another folder`,
    );
  }
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
