import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, migrateDown, migrateUp, migrationStatus } from '../../src/index.ts';
import { freshDatabase, unavailable } from '../db/servers.ts';
import { cachedSchema, columns, ROOT, tables, TestProject, type Run } from './project.ts';

/**
 * tidemark inside an app that already has its MikroORM config: found the way MikroORM's CLI
 * finds it, or named by tidemark.config.ts; its entities, naming strategy, driver, database and
 * migrations folder used as the app's MikroORM uses them.
 */

const BIN = join(ROOT, 'bin', 'tidemark.mjs');
const CLEAN_ENV = { DATABASE_URL: '', TIDEMARK_CONFIG: '', MIKRO_ORM_CLI_CONFIG: '', MIKRO_ORM_CONTEXT_NAME: '' };
const NOW = { TIDEMARK_NOW: '2026-03-01T00:00:00Z' };

const projects: TestProject[] = [];
afterAll(() => projects.forEach((p) => p.dispose()));

/** A project holding a copy of test/fixtures/apps/<name> (or nothing), with no tidemark config. */
function app(name?: string): TestProject {
  const p = new TestProject('');
  projects.push(p);
  if (name) cpSync(join(ROOT, 'test/fixtures/apps', name), p.dir, { recursive: true });
  return p;
}

/** A project with the usual tidemark.config.ts (entities in ./entities, sqlite:./app.db). */
function project(): TestProject {
  const p = new TestProject();
  projects.push(p);
  return p;
}

/** The CLI run from a subdirectory of the project. */
function runIn(p: TestProject, sub: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: join(p.dir, sub), encoding: 'utf8', env: { ...process.env, ...CLEAN_ENV, ...env }, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function okIn(p: TestProject, sub: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = runIn(p, sub, args, env);
  if (r.code !== 0) throw new Error(`tidemark ${args.join(' ')} in ${sub} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * What MikroORM itself would still change: the app's own MikroORM, initialised from its config
 * file in a child process (Node's type stripping), against the database tidemark migrated.
 */
function mikroOrmUpdateSql(p: TestProject, driver: string): string[] {
  const config = pathToFileURL(join(p.dir, 'src/mikro-orm.config.ts')).href;
  const code = `const { MikroORM } = await import('${driver}');
    const config = (await import(${JSON.stringify(config)})).default;
    const orm = await MikroORM.init({ ...config, preferTs: true, debug: false });
    const sql = await orm.schema.getUpdateSchemaSQL({ wrap: false });
    await orm.close();
    process.stdout.write(JSON.stringify(sql.split('\\n').filter((l) => l.trim() && !l.includes('tidemark_migrations'))));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: p.dir, encoding: 'utf8', env: { ...process.env, ...CLEAN_ENV } });
  if (r.status !== 0) throw new Error(`MikroORM failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function indexNames(p: TestProject, table: string): string[] {
  const db = p.db();
  try {
    return (db.prepare(`select name from pragma_index_list(?) where origin = 'c' order by name`).all(table) as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

/** Unlinks a package from the project's node_modules (the links point into the repository's). */
function uninstall(p: TestProject, ...names: string[]): void {
  const scope = join(p.dir, 'node_modules', '@mikro-orm');
  rmSync(scope);
  mkdirSync(scope);
  for (const pkg of readdirSync(join(ROOT, 'node_modules', '@mikro-orm'))) {
    if (!names.includes(`@mikro-orm/${pkg}`)) symlinkSync(join(ROOT, 'node_modules', '@mikro-orm', pkg), join(scope, pkg));
  }
  for (const name of names.filter((n) => !n.startsWith('@mikro-orm/'))) rmSync(join(p.dir, 'node_modules', name));
}

describe('an app with only src/mikro-orm.config.ts', () => {
  const p = app('naming');

  it('gen-migration follows its naming strategy, entitiesTs and migrations.pathTs', () => {
    expect(p.ok(['gen-migration', '-m', 'init'], NOW).trim()).toBe('src/migrations/20260301000000_init.ts');
    // The schema at the head is cached outside the migrations folder, which holds the migration alone.
    expect(cachedSchema(p, 'src/migrations')?.head).toBe('20260301000000_init');
    expect(readdirSync(join(p.dir, 'src/migrations'))).toEqual(['20260301000000_init.ts']);
    expect(existsSync(join(p.dir, 'migrations'))).toBe(false);
    const file = p.read('src/migrations/20260301000000_init.ts');
    expect(file).toContain(`this.createTable('app_book', (t) => {`);
    expect(file).toContain(`t.column('c_price', { type: 'decimal', precision: 12, scale: 4, columnType: 'numeric(12,4)' });`);
    expect(p.run(['gen-migration', '-m', 'again']).stdout).toMatch(/^No changes/);
  });

  it('migrate up creates the tables and columns the strategy names, in the database the config names', () => {
    expect(p.ok(['migrate', 'up'])).toContain('Applied 1 migration on sqlite:./app.db');
    const db = p.db('app.db');
    expect(tables(db)).toEqual(['app_author', 'app_book', 'app_book_app_genres', 'app_genre', 'tidemark_migrations']);
    expect(columns(db, 'app_author')).toEqual(['id', 'c_full_name', 'c_email_address', 'c_born_on']);
    expect(columns(db, 'app_book')).toEqual(['id', 'c_book_title', 'c_price', 'c_page_count', 'app_written_by_id']);
    expect(columns(db, 'app_book_app_genres')).toEqual(['app_book_id', 'app_genre_id']);
    expect(db.prepare(`select type from pragma_table_info('app_book') where name = 'c_price'`).get()).toEqual({ type: 'numeric(12,4)' });
    db.close();
    expect(indexNames(p, 'app_book')).toEqual(['ind_app_book_app_written_by_id', 'ind_app_book_c_book_title']);
    expect(indexNames(p, 'app_author')).toEqual(['uni_app_author_c_email_address']);
  });

  it("MikroORM's own schema generator, from the same config, finds nothing to change", () => {
    expect(mikroOrmUpdateSql(p, '@mikro-orm/sqlite')).toEqual([]);
  });

  it('migrate loads the MikroORM config but neither the entity files nor ts-morph nor the differ', () => {
    const log = join(p.dir, 'loaded.txt');
    const hook = `import { registerHooks } from 'node:module'; import { appendFileSync } from 'node:fs';
      registerHooks({ load(url, ctx, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, ctx); } });`;
    const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(hook)}`, BIN, 'migrate', 'up'], { cwd: p.dir, encoding: 'utf8', env: { ...process.env, ...CLEAN_ENV } });
    expect(r.status, r.stderr).toBe(0);
    const urls = readFileSync(log, 'utf8').trim().split('\n');
    p.remove('loaded.txt');
    expect(urls).toContain(pathToFileURL(join(p.dir, 'src/mikro-orm.config.ts')).href);
    expect(urls.filter((u) => /ts-morph|typescript|\/src\/entities\//.test(u))).toEqual([]);
    const dist = `${pathToFileURL(join(ROOT, 'dist')).href}/`;
    for (const u of urls.filter((x) => x.startsWith(dist))) {
      expect(readFileSync(fileURLToPath(u), 'utf8'), u).not.toMatch(/function diff\(|function snapshotFromEntities\(|function emitMigration\(/);
    }
  });

  it('is found from a subdirectory', () => {
    expect(okIn(p, 'src/entities', ['migrate', 'up'])).toContain('Already up to date: sqlite:./app.db is at 20260301000000_init (head)');
    expect(okIn(p, 'src/entities', ['gen-migration', '--check'])).toMatch(/^No changes/);
  });
});

describe('finding the config', () => {
  it('tidemark.config.ts is found from a subdirectory; its paths stay relative to it', () => {
    const p = project();
    p.write('entities/User.ts', `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';\n\n@Entity()\nexport class User {\n  @PrimaryKey()\n  id!: number;\n\n  @Property()\n  name!: string;\n}\n`);
    mkdirSync(join(p.dir, 'src/deep'), { recursive: true });
    okIn(p, 'src/deep', ['gen-migration', '-m', 'users'], NOW);
    expect(p.migrations()).toEqual(['20260301000000_users.ts']);
    okIn(p, 'src/deep', ['migrate', 'up']);
    const db = p.db('app.db');
    expect(tables(db)).toEqual(['tidemark_migrations', 'user']);
    db.close();
  });

  it('TIDEMARK_CONFIG names a config elsewhere, like --config', () => {
    const p = app();
    p.write('entities/Note.ts', `import { defineEntity, p } from '@mikro-orm/core';\n\nexport const Note = defineEntity({ name: 'Note', properties: { id: p.integer().primary(), body: p.text() } });\n`);
    p.write('deploy/tidemark.config.ts', `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({\n  entities: ['../entities/*.ts'],\n  migrations: './migrations',\n  url: 'sqlite:./deploy.db',\n});\n`);
    expect(p.run(['gen-migration', '-m', 'x']).code).toBe(1);
    p.ok(['gen-migration', '-m', 'notes'], { ...NOW, TIDEMARK_CONFIG: 'deploy/tidemark.config.ts' });
    expect(readdirSync(join(p.dir, 'deploy/migrations')).filter((f) => f.endsWith('.ts'))).toEqual(['20260301000000_notes.ts']);
    p.ok(['migrate', 'up'], { TIDEMARK_CONFIG: 'deploy/tidemark.config.ts' });
    const db = p.db('deploy/deploy.db');
    expect(tables(db)).toEqual(['note', 'tidemark_migrations']);
    db.close();
    const missing = p.run(['migrate', 'up'], { TIDEMARK_CONFIG: 'deploy/nope.ts' });
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('tidemark: config file not found: deploy/nope.ts (from TIDEMARK_CONFIG); create one with `tidemark init`, or fix the path');
  });

  it('nothing to find: one line naming what was looked for, suggesting tidemark init', () => {
    const p = app();
    const before = p.files();
    const r = p.run(['gen-migration', '-m', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^tidemark: config file not found: tidemark\.config\.ts, nor a MikroORM config \(MIKRO_ORM_CLI_CONFIG, package\.json "mikro-orm\.configPaths", src\/mikro-orm\.config\.ts, mikro-orm\.config\.ts, /);
    expect(r.stderr).toContain('`tidemark init`');
    expect(p.files()).toEqual(before);
  });

  it('tidemark.config.ts points at the MikroORM config with mikroOrm and overrides its folder, database and table', () => {
    const p = app('naming');
    p.write('tidemark.config.ts', `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({\n  mikroOrm: './src/mikro-orm.config.ts',\n  migrations: './db/migrations',\n  url: 'sqlite:./db/other.db',\n  tableName: 'schema_history',\n});\n`);
    expect(p.ok(['gen-migration', '-m', 'init'], NOW).trim()).toBe('db/migrations/20260301000000_init.ts');
    p.ok(['migrate', 'up']);
    expect(existsSync(join(p.dir, 'app.db'))).toBe(false);
    const db = p.db('db/other.db');
    expect(tables(db)).toEqual(['app_author', 'app_book', 'app_book_app_genres', 'app_genre', 'schema_history']);
    db.close();
  });

  it('a config exporting an array: the context is picked by MIKRO_ORM_CONTEXT_NAME or contextName', () => {
    const p = app('naming');
    p.write('src/reporting/Daily.ts', `import { defineEntity, p } from '@mikro-orm/core';\n\nexport const Daily = defineEntity({ name: 'Daily', properties: { day: p.date().primary(), visits: p.integer() } });\n`);
    p.write(
      'src/mikro-orm.config.ts',
      `import { defineConfig } from '@mikro-orm/sqlite';
import { AppNamingStrategy } from './naming.ts';

export default [
  defineConfig({ entities: ['./src/entities/*.ts'], dbName: 'app.db', namingStrategy: AppNamingStrategy }),
  defineConfig({ contextName: 'reporting', entities: ['./src/reporting/*.ts'], dbName: 'reporting.db', migrations: { pathTs: './src/reporting-migrations' } }),
];
`,
    );
    p.ok(['gen-migration', '-m', 'daily'], { ...NOW, MIKRO_ORM_CONTEXT_NAME: 'reporting' });
    expect(readdirSync(join(p.dir, 'src/reporting-migrations'))).toContain('20260301000000_daily.ts');
    p.ok(['migrate', 'up'], { MIKRO_ORM_CONTEXT_NAME: 'reporting' });
    let db = p.db('reporting.db');
    expect(tables(db)).toEqual(['daily', 'tidemark_migrations']);
    db.close();

    p.ok(['gen-migration', '-m', 'app'], NOW);
    p.ok(['migrate', 'up']);
    db = p.db('app.db');
    expect(tables(db)).toContain('app_author');
    db.close();

    p.write('tidemark.config.ts', `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({ mikroOrm: './src/mikro-orm.config.ts', contextName: 'reporting' });\n`);
    expect(p.ok(['migrate', 'up'])).toContain('Already up to date: sqlite:./reporting.db');
    const unknown = p.run(['migrate', 'up'], { MIKRO_ORM_CONTEXT_NAME: 'billing' });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^tidemark: MikroORM config src\/mikro-orm\.config\.ts: no config for context 'billing' in the exported array/);
  });

  it("package.json's mikro-orm.configPaths and MIKRO_ORM_CLI_CONFIG are followed, as by MikroORM's CLI", () => {
    const p = app('naming');
    p.remove('src/mikro-orm.config.ts');
    const config = (db: string) => `import { defineConfig } from '@mikro-orm/sqlite';\n\nexport default defineConfig({ entities: ['./src/entities/*.ts'], dbName: '${db}' });\n`;
    p.write('config/orm.ts', config('from-package.db')).write('config/other.ts', config('from-env.db'));
    p.write('package.json', `{ "type": "module", "mikro-orm": { "configPaths": ["./config/orm.ts"] } }\n`);
    p.ok(['gen-migration', '-m', 'init'], NOW);
    expect(p.ok(['migrate', 'up'])).toContain('sqlite:./from-package.db');
    expect(p.ok(['migrate', 'up'], { MIKRO_ORM_CLI_CONFIG: './config/other.ts' })).toContain('sqlite:./from-env.db');
  });

  it('a MikroORM config that lists no entities: gen-migration refuses (it would drop every table), migrate still runs', () => {
    const p = app('naming');
    p.ok(['gen-migration', '-m', 'init'], NOW);
    p.write('src/mikro-orm.config.ts', `import { defineConfig } from '@mikro-orm/sqlite';\n\nexport default defineConfig({ dbName: 'app.db', migrations: { pathTs: './src/migrations' } });\n`);
    const before = p.files();
    const r = p.run(['gen-migration', '-m', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('tidemark: MikroORM config src/mikro-orm.config.ts lists no entities (entities or entitiesTs): list them there, or in tidemark.config.ts');
    expect(p.files()).toEqual(before);
    expect(p.ok(['migrate', 'up'])).toContain('Applied 1 migration on sqlite:./app.db');
  });

  it('a config exporting an async function gets the context name and is awaited', () => {
    const p = app('naming');
    p.write(
      'src/mikro-orm.config.ts',
      `import { defineConfig } from '@mikro-orm/sqlite';
import { AppNamingStrategy } from './naming.ts';

export default async (contextName: string) => {
  await new Promise((resolve) => setImmediate(resolve));
  return defineConfig({ entitiesTs: ['./src/entities/*.ts'], dbName: \`\${contextName}.db\`, namingStrategy: AppNamingStrategy });
};
`,
    );
    p.ok(['gen-migration', '-m', 'init'], NOW);
    expect(p.migrations()).toEqual(['20260301000000_init.ts']);
    expect(p.ok(['migrate', 'up'])).toContain('Applied 1 migration on sqlite:./default.db');
    const db = p.db('default.db');
    expect(tables(db)).toContain('app_book');
    db.close();
  });
});

describe('a migrations folder that is not there is an error, never "up to date"', () => {
  const NOTE = 'fix the path, deploy the folder with the app, or create the first migration with `tidemark gen-migration`';
  const refused = (p: TestProject, where: string) => {
    const before = p.files();
    for (const args of [['migrate', 'up'], ['migrate', 'down'], ['migrate', 'status']]) {
      const r = p.run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`tidemark: ${where}: ${NOTE}\n`);
    }
    expect(p.files()).toEqual(before);
  };

  it("a typo in tidemark.config.ts's migrations, and the default folder never created", () => {
    const p = project();
    p.write('entities/User.ts', `import { defineEntity, p } from '@mikro-orm/core';\n\nexport const User = defineEntity({ name: 'User', properties: { id: p.integer().primary() } });\n`);
    p.ok(['gen-migration', '-m', 'users'], NOW);
    p.ok(['migrate', 'up']);
    p.write('tidemark.config.ts', p.read('tidemark.config.ts').replace(`migrations: './migrations'`, `migrations: './migratons'`));
    refused(p, `migrations folder migratons not found (from 'migrations' in tidemark.config.ts)`);

    const fresh = project();
    fresh.write('tidemark.config.ts', `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({ entities: ['./entities/*.ts'], url: 'sqlite:./app.db' });\n`);
    refused(fresh, 'migrations folder migrations not found (from the default ./migrations)');
  });

  it('the library throws the same ConfigError from migrateUp, migrateDown and migrationStatus', async () => {
    const p = project();
    const options = { inline: { entities: [], migrations: './nowhere' }, cwd: p.dir, url: 'sqlite:./app.db', env: CLEAN_ENV };
    for (const call of [() => migrateUp(options), () => migrateDown(options), () => migrationStatus(options)]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^migrations folder \S*nowhere not found \(from 'migrations' in config\): fix the path/);
    }
    expect(existsSync(join(p.dir, 'app.db'))).toBe(false);
  });

  it("MikroORM's migrations.pathTs when it exists, else path (a compiled image); neither: named, with both", () => {
    const p = app('naming');
    p.ok(['gen-migration', '-m', 'init'], NOW);
    p.ok(['migrate', 'up']);
    // The image: tsc's output in dist/migrations, no src/migrations.
    mkdirSync(join(p.dir, 'dist/migrations'), { recursive: true });
    cpSync(join(p.dir, 'src/migrations/20260301000000_init.ts'), join(p.dir, 'dist/migrations/20260301000000_init.ts'));
    p.remove('src/migrations');
    expect(p.ok(['migrate', 'up'])).toContain('Already up to date: sqlite:./app.db is at 20260301000000_init (head)');
    expect(p.ok(['migrate', 'status'])).toContain('20260301000000_init (head)');
    // Left out of the image as well.
    p.remove('dist/migrations');
    refused(p, 'migrations folder src/migrations not found (from migrations.pathTs in MikroORM config src/mikro-orm.config.ts; its migrations.path dist/migrations is missing too)');
    // gen-migration still creates the TypeScript one on first use.
    expect(p.ok(['gen-migration', '-m', 'again'], NOW).trim()).toBe('src/migrations/20260301000000_again.ts');
  });
});

describe('drivers come from the app', () => {
  it('without @mikro-orm/sqlite and no database anywhere, one line says which package to install', () => {
    const p = project();
    p.write('tidemark.config.ts', `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({ entities: ['./entities/*.ts'] });\n`);
    p.write('entities/Note.ts', `import { defineEntity, p } from '@mikro-orm/core';\n\nexport const Note = defineEntity({ name: 'Note', properties: { id: p.integer().primary() } });\n`);
    uninstall(p, '@mikro-orm/sqlite');
    const r = p.run(['gen-migration', '-m', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^tidemark: reading the entities needs the driver package @mikro-orm\/sqlite: npm install @mikro-orm\/sqlite@7\.\d+\.\d+$/);
    expect(p.migrations()).toEqual([]);
  });
});

const pgSkip = await unavailable('postgresql');
describe.skipIf(Boolean(pgSkip))(`a PostgreSQL app (defineConfig from @mikro-orm/postgresql, clientUrl)${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, () => {
  let drop = async () => {};
  afterAll(async () => drop());

  it('is read and migrated through its own driver, without @mikro-orm/sqlite installed', async () => {
    const database = await freshDatabase('postgresql');
    drop = database.drop;
    const p = app('naming');
    uninstall(p, '@mikro-orm/sqlite', 'better-sqlite3');
    p.write(
      'src/mikro-orm.config.ts',
      `import { defineConfig } from '@mikro-orm/postgresql';
import { AppNamingStrategy } from './naming.ts';

export default defineConfig({
  entitiesTs: ['./src/entities/*.ts'],
  clientUrl: ${JSON.stringify(database.url)},
  // overrides the URL's part, as in MikroORM (the test server trusts local connections)
  password: 'pa:ss@w0rd',
  namingStrategy: AppNamingStrategy,
  migrations: { pathTs: './src/migrations' },
});
`,
    );
    p.ok(['gen-migration', '-m', 'init'], NOW);
    const out = p.ok(['migrate', 'up']);
    expect(out).toContain(`Applied 1 migration on ${database.url.replace('postgres://postgres@', 'postgres://postgres:****@')}`);
    expect(out).not.toContain('pa:ss');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const res = await client.query(`select table_name from information_schema.tables where table_schema = 'public' order by table_name`);
      expect(res.rows.map((r) => r.table_name)).toEqual(['app_author', 'app_book', 'app_book_app_genres', 'app_genre', 'tidemark_migrations']);
      const price = await client.query(`select numeric_precision, numeric_scale from information_schema.columns where table_name = 'app_book' and column_name = 'c_price'`);
      expect(price.rows).toEqual([{ numeric_precision: 12, numeric_scale: 4 }]);
    } finally {
      await client.end();
    }
  });
});
