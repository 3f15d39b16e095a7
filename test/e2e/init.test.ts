import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, initProject } from '../../src/index.ts';
import { ROOT, TestProject, USER_V1, tables } from './project.ts';

/** A MikroORM config as an app has it; init only needs to find it. */
const ORM_CONFIG = `import { defineConfig } from '@mikro-orm/sqlite';
import { User } from './user.entity.ts';

export default defineConfig({
  dbName: 'app.db',
  entities: [User],
});
`;

/** For a MikroORM config: its default metadata provider wants explicit types. */
const USER_ENTITY = `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity()
export class User {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  email!: string;
}
`;

/** For calls in this process: the test runner's own module loading does not transpile decorators. */
const PLAIN_ORM_CONFIG = `export default { dbName: 'app.db' };\n`;

const NEXT = 'Next: npx tidemark gen-migration -m "init"';

describe('tidemark init', () => {
  const projects: TestProject[] = [];
  afterEach(() => projects.splice(0).forEach((p) => p.dispose()));
  /** An app without tidemark.config.ts. */
  const app = () => {
    const p = new TestProject('');
    projects.push(p);
    return p;
  };
  /** ORM_CONFIG at `path` with the entity it imports beside it: init loads the MikroORM config. */
  const ormConfig = (p: TestProject, path: string, text = ORM_CONFIG) => {
    p.write(path, text).write(join(path, '../user.entity.ts'), USER_ENTITY);
    return p;
  };
  /** The CLI run from a subdirectory of the app. */
  const runIn = (p: TestProject, sub: string, args: string[]) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/tidemark.mjs'), ...args], { cwd: join(p.dir, sub), encoding: 'utf8', env: { ...process.env, DATABASE_URL: '', MIKRO_ORM_CLI_CONFIG: '', TIDEMARK_CONFIG: '' } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  /** `tsc --noEmit` over the written config, as an app's strict NodeNext build sees it (types from the installed package). */
  const typeCheck = (p: TestProject) => {
    p.write(
      'tsconfig.json',
      JSON.stringify({
        compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: true },
        files: ['tidemark.config.ts'],
      }),
    );
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', p.dir], { encoding: 'utf8' });
    return { code: r.status, output: `${r.stdout}${r.stderr}` };
  };

  it('an empty app: placeholders with a comment to edit them, migrations/, the next command; the config type-checks and works as written', () => {
    const p = app();
    const r = p.run(['init']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['Wrote tidemark.config.ts (placeholder entities and url: edit them)', 'Created migrations/', NEXT]);
    expect(r.stderr).toBe('');
    const text = p.read('tidemark.config.ts');
    expect(text).toMatch(/^import \{ defineConfig \} from 'tidemark';\n/);
    expect(text).toContain(`entities: ['./src/**/*.entity.ts'], // EDIT`);
    expect(text).toContain(`url: 'sqlite:./app.db', // EDIT`);
    expect(text).toContain(`migrations: './migrations',`);
    expect(text).toMatch(/No MikroORM config was found/);
    expect(text).not.toContain('mikroOrm');
    expect(readdirSync(join(p.dir, 'migrations'))).toEqual([]);
    const tsc = typeCheck(p);
    expect(tsc.output).toBe('');
    expect(tsc.code).toBe(0);

    // The placeholders are usable as they stand: an entity where the glob looks, then the printed next command.
    p.write('src/user.entity.ts', USER_V1);
    p.ok(['gen-migration', '-m', 'init']);
    expect(p.migrations()).toHaveLength(1);
    p.ok(['migrate', 'up']);
    const db = p.db();
    try {
      expect(tables(db)).toEqual(['tidemark_migrations', 'user']);
    } finally {
      db.close();
    }
  });

  it('the type check is not vacuous: a wrong config fails it', () => {
    const p = app();
    p.write('tidemark.config.ts', `import { defineConfig } from 'tidemark';\nexport default defineConfig({ entities: [], url: 42 });\n`);
    const tsc = typeCheck(p);
    expect(tsc.code).not.toBe(0);
    expect(tsc.output).toMatch(/tidemark\.config\.ts.*error TS2322/);
  });

  it('an app with src/mikro-orm.config.ts: the config points at it, type-checks and runs as written', () => {
    const p = ormConfig(app(), 'src/mikro-orm.config.ts');
    const r = p.run(['init']);
    expect(r.code, r.stderr).toBe(0);
    // As README.md shows it.
    expect(r.stdout.trim().split('\n')).toEqual(['Wrote tidemark.config.ts (mikroOrm: ./src/mikro-orm.config.ts)', 'Created migrations/', NEXT]);
    const text = p.read('tidemark.config.ts');
    expect(text).toContain(`mikroOrm: './src/mikro-orm.config.ts',`);
    // The folder is the MikroORM config's (here its default): init pins none.
    expect(text).not.toMatch(/^\s*migrations:/m);
    expect(text).not.toMatch(/^\s*entities:/m);
    expect(text).not.toMatch(/^\s*url:/m);
    expect(existsSync(join(p.dir, 'migrations'))).toBe(true);
    const tsc = typeCheck(p);
    expect(tsc.output).toBe('');
    expect(tsc.code).toBe(0);

    // As written, it runs: entities and database (app.db) from the MikroORM config.
    p.ok(['gen-migration', '-m', 'init']);
    expect(p.migrations()).toHaveLength(1);
    p.ok(['migrate', 'up']);
    const db = p.db();
    try {
      expect(tables(db)).toEqual(['tidemark_migrations', 'user']);
    } finally {
      db.close();
    }
  });

  it('a MikroORM config in the root, and one that names its migrations folder', () => {
    const root = ormConfig(app(), 'mikro-orm.config.ts');
    root.ok(['init']);
    expect(root.read('tidemark.config.ts')).toContain(`mikroOrm: './mikro-orm.config.ts',`);

    const named = ormConfig(app(), 'src/mikro-orm.config.ts', ORM_CONFIG.replace('  entities: [User],\n', `  entities: [User],\n  migrations: { path: 'dist/migrations', pathTs: 'src/migrations' },\n`));
    const r = named.run(['init']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Created src/migrations/');
    expect(named.read('tidemark.config.ts')).not.toMatch(/^\s*migrations:/m);
    expect(existsSync(join(named.dir, 'src/migrations'))).toBe(true);
    expect(existsSync(join(named.dir, 'migrations'))).toBe(false);
    expect(named.ok(['gen-migration', '-m', 'init']).trim()).toMatch(/^src\/migrations\/\d{14}_init\.ts$/);
  });

  it('run from src/: the config is written at the package root, pointing at ./src/mikro-orm.config.ts', async () => {
    const p = ormConfig(app(), 'src/mikro-orm.config.ts');
    const r = runIn(p, 'src', ['init']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['Wrote ../tidemark.config.ts (mikroOrm: ./src/mikro-orm.config.ts)', 'Created ../migrations/', NEXT]);
    expect(p.read('tidemark.config.ts')).toContain(`mikroOrm: './src/mikro-orm.config.ts',`);
    expect(existsSync(join(p.dir, 'src/tidemark.config.ts'))).toBe(false);
    expect(existsSync(join(p.dir, 'src/src'))).toBe(false);
    expect(existsSync(join(p.dir, 'src/migrations'))).toBe(false);
    // What it wrote works from there.
    expect(runIn(p, 'src', ['gen-migration', '-m', 'init']).stdout.trim()).toMatch(/^\.\.\/migrations\/\d{14}_init\.ts$/);
    // From src/ again: the config at the root is the one that counts.
    const again = runIn(p, 'src', ['init']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('tidemark: ../tidemark.config.ts already exists: edit it, or pass --force to replace it\n');
    // The library, too.
    p.write('src/mikro-orm.config.ts', PLAIN_ORM_CONFIG);
    const result = await initProject({ cwd: join(p.dir, 'src'), force: true });
    expect(result).toMatchObject({ configFile: join(p.dir, 'tidemark.config.ts'), mikroOrm: './src/mikro-orm.config.ts', migrationsDir: join(p.dir, 'migrations'), overwritten: true });
  });

  it("a CommonJS app whose MikroORM config computes its folder (join(__dirname, 'migrations')): that folder is tidemark's", () => {
    const p = app();
    p.write('package.json', '{ "name": "cjs-app", "private": true }\n');
    p.write(
      'src/mikro-orm.config.ts',
      `import { defineConfig } from '@mikro-orm/sqlite';
import { join } from 'path';
import { User } from './user.entity';

export default defineConfig({
  dbName: 'app.db',
  entities: [User],
  migrations: { path: join(__dirname, 'migrations') },
});
`,
    );
    p.write('src/user.entity.ts', USER_ENTITY);
    const r = p.run(['init']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['Wrote tidemark.config.ts (mikroOrm: ./src/mikro-orm.config.ts)', 'Created src/migrations/', NEXT]);
    expect(p.read('tidemark.config.ts')).not.toMatch(/^\s*migrations:/m);
    expect(existsSync(join(p.dir, 'migrations'))).toBe(false);
    expect(p.ok(['gen-migration', '-m', 'init']).trim()).toMatch(/^src\/migrations\/\d{14}_init\.ts$/);
    expect(p.ok(['migrate', 'up'])).toContain('Applied 1 migration on sqlite:./app.db');
    const db = p.db();
    try {
      expect(tables(db)).toEqual(['tidemark_migrations', 'user']);
    } finally {
      db.close();
    }
  });

  it('a MikroORM config that does not load: one line, exit 1, nothing written; init works once it loads', () => {
    const p = app();
    p.write('src/mikro-orm.config.ts', `if (!process.env.APP_DB) throw new Error('APP_DB is not set');\n\nexport default { dbName: process.env.APP_DB };\n`);
    const before = p.files();
    const r = p.run(['init']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^tidemark: cannot load MikroORM config src\/mikro-orm\.config\.ts: APP_DB is not set.*; tidemark\.config\.ts not written\n$/);
    expect(p.files()).toEqual(before);
    expect(existsSync(join(p.dir, 'migrations'))).toBe(false);
    const ok = p.run(['init'], { APP_DB: 'app.db' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Created migrations/');
  });

  it('package.json "mikro-orm.configPaths" comes first; paths that do not exist are skipped', () => {
    const p = app();
    p.write('package.json', JSON.stringify({ type: 'module', 'mikro-orm': { configPaths: ['./config/missing.ts', './config/orm.config.ts'] } }));
    ormConfig(p, 'src/mikro-orm.config.ts').write('config/orm.config.ts', ORM_CONFIG.replace('./user.entity.ts', '../src/user.entity.ts'));
    const r = p.run(['init']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('(mikroOrm: ./config/orm.config.ts)');
    expect(p.read('tidemark.config.ts')).toContain(`mikroOrm: './config/orm.config.ts',`);
  });

  it('refuses to replace an existing tidemark.config.ts: exit 1, one line, nothing touched; --force replaces it', () => {
    const p = new TestProject();
    projects.push(p);
    ormConfig(p, 'src/mikro-orm.config.ts');
    const before = p.files();
    const r = p.run(['init']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tidemark: tidemark.config.ts already exists: edit it, or pass --force to replace it\n');
    expect(r.stdout).toBe('');
    expect(p.files()).toEqual(before);
    expect(existsSync(join(p.dir, 'migrations'))).toBe(false);

    const forced = p.run(['init', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout.split('\n')[0]).toBe('Replaced tidemark.config.ts (mikroOrm: ./src/mikro-orm.config.ts)');
    expect(p.read('tidemark.config.ts')).toContain(`mikroOrm: './src/mikro-orm.config.ts',`);
  });

  it('tidemark.config.js counts as a config too: refused, and with --force superseded with a warning', () => {
    const p = app();
    p.write('tidemark.config.js', `export default { entities: [] };\n`);
    const before = p.files();
    const r = p.run(['init']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tidemark: tidemark.config.js already exists: edit it, or pass --force to replace it\n');
    expect(p.files()).toEqual(before);
    const forced = p.run(['init', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout.split('\n')[0]).toBe('Wrote tidemark.config.ts (placeholder entities and url: edit them)');
    expect(forced.stderr).toBe('warning: tidemark.config.js is no longer read (tidemark.config.ts comes first): delete it\n');
  });

  it("MIKRO_ORM_CLI_CONFIG comes first, as in MikroORM's CLI", () => {
    const p = app();
    ormConfig(ormConfig(p, 'src/mikro-orm.config.ts'), 'orm/other.config.ts');
    const r = p.run(['init'], { MIKRO_ORM_CLI_CONFIG: './orm/other.config.ts' });
    expect(r.code, r.stderr).toBe(0);
    expect(p.read('tidemark.config.ts')).toContain(`mikroOrm: './orm/other.config.ts',`);
    const missing = app();
    const m = missing.run(['init'], { MIKRO_ORM_CLI_CONFIG: './nope.ts' });
    expect(m.code).toBe(1);
    expect(m.stderr).toBe('tidemark: MikroORM config not found: ./nope.ts (from MIKRO_ORM_CLI_CONFIG)\n');
  });

  it('--mikro-orm names the file; one that does not exist is refused before anything is written', () => {
    const p = app();
    ormConfig(p, 'orm/settings.ts');
    const before = p.files();
    const missing = p.run(['init', '--mikro-orm', 'orm/nope.ts']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('tidemark: MikroORM config not found: orm/nope.ts (from --mikro-orm)\n');
    expect(p.files()).toEqual(before);
    expect(existsSync(join(p.dir, 'migrations'))).toBe(false);
    p.ok(['init', '--mikro-orm', 'orm/settings.ts']);
    expect(p.read('tidemark.config.ts')).toContain(`mikroOrm: './orm/settings.ts',`);
  });

  it("warns when the migrations folder already holds files tidemark did not write (MikroORM's own migrations)", () => {
    const p = app();
    ormConfig(p, 'mikro-orm.config.ts');
    p.write('migrations/Migration20240101000000.ts', `import { Migration } from '@mikro-orm/migrations';\nexport class Migration20240101000000 extends Migration {\n  override async up(): Promise<void> {}\n}\n`);
    const r = p.run(['init']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      "warning: migrations already holds 1 file(s) tidemark did not write (MikroORM's own migrations?): tidemark loads every .ts/.js file there, so move them or set 'migrations' in tidemark.config.ts to another folder\n",
    );
    expect(r.stdout).not.toContain('Created');
  });

  it('as a library: initProject returns what it wrote and throws ConfigError instead of replacing', async () => {
    const p = app();
    const result = await initProject({ cwd: p.dir });
    expect(result).toMatchObject({ configFile: join(p.dir, 'tidemark.config.ts'), migrationsDir: join(p.dir, 'migrations'), createdMigrationsDir: true, overwritten: false, warnings: [], next: 'npx tidemark gen-migration -m "init"' });
    expect(result.mikroOrm).toBeUndefined();
    expect(p.read('tidemark.config.ts')).toBe(result.text);
    await expect(initProject({ cwd: p.dir })).rejects.toBeInstanceOf(ConfigError);
    p.write('src/mikro-orm.config.ts', PLAIN_ORM_CONFIG);
    const forced = await initProject({ cwd: p.dir, force: true });
    expect(forced).toMatchObject({ mikroOrm: './src/mikro-orm.config.ts', overwritten: true, createdMigrationsDir: false });
  });
});
