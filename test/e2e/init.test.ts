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
    const p = app();
    p.write('src/mikro-orm.config.ts', ORM_CONFIG).write('src/user.entity.ts', USER_ENTITY);
    const r = p.run(['init']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['Wrote tidemark.config.ts (entities from ./src/mikro-orm.config.ts)', 'Created migrations/', NEXT]);
    const text = p.read('tidemark.config.ts');
    expect(text).toContain(`mikroOrm: './src/mikro-orm.config.ts',`);
    expect(text).toContain(`migrations: './migrations',`);
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
    const root = app();
    root.write('mikro-orm.config.ts', ORM_CONFIG);
    root.ok(['init']);
    expect(root.read('tidemark.config.ts')).toContain(`mikroOrm: './mikro-orm.config.ts',`);

    const named = app();
    named.write('src/mikro-orm.config.ts', ORM_CONFIG.replace('  entities: [User],\n', `  entities: [User],\n  migrations: { path: 'dist/migrations', pathTs: 'src/migrations' },\n`));
    const r = named.run(['init']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Created src/migrations/');
    expect(named.read('tidemark.config.ts')).toContain(`migrations: './src/migrations',`);
    expect(existsSync(join(named.dir, 'src/migrations'))).toBe(true);
    expect(existsSync(join(named.dir, 'migrations'))).toBe(false);
  });

  it('package.json "mikro-orm.configPaths" comes first; paths that do not exist are skipped', () => {
    const p = app();
    p.write('package.json', JSON.stringify({ type: 'module', 'mikro-orm': { configPaths: ['./config/missing.ts', './config/orm.config.ts'] } }));
    p.write('config/orm.config.ts', ORM_CONFIG.replace('./user.entity.ts', '../src/user.entity.ts')).write('src/mikro-orm.config.ts', ORM_CONFIG);
    const r = p.run(['init']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('(entities from ./config/orm.config.ts)');
    expect(p.read('tidemark.config.ts')).toContain(`mikroOrm: './config/orm.config.ts',`);
  });

  it('refuses to replace an existing tidemark.config.ts: exit 1, one line, nothing touched; --force replaces it', () => {
    const p = new TestProject();
    projects.push(p);
    p.write('src/mikro-orm.config.ts', ORM_CONFIG);
    const before = p.files();
    const r = p.run(['init']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tidemark: tidemark.config.ts already exists: edit it, or pass --force to replace it\n');
    expect(r.stdout).toBe('');
    expect(p.files()).toEqual(before);
    expect(existsSync(join(p.dir, 'migrations'))).toBe(false);

    const forced = p.run(['init', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout.split('\n')[0]).toBe('Replaced tidemark.config.ts (entities from ./src/mikro-orm.config.ts)');
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
    p.write('src/mikro-orm.config.ts', ORM_CONFIG).write('orm/other.config.ts', ORM_CONFIG);
    const r = p.run(['init'], { MIKRO_ORM_CLI_CONFIG: './orm/other.config.ts' });
    expect(r.code, r.stderr).toBe(0);
    expect(p.read('tidemark.config.ts')).toContain(`mikroOrm: './orm/other.config.ts',`);
    const missing = app();
    const m = missing.run(['init'], { MIKRO_ORM_CLI_CONFIG: './nope.ts' });
    expect(m.code).toBe(1);
    expect(m.stderr).toBe('tidemark: MIKRO_ORM_CLI_CONFIG ./nope.ts: file not found\n');
  });

  it('--mikro-orm names the file; one that does not exist is refused before anything is written', () => {
    const p = app();
    p.write('orm/settings.ts', ORM_CONFIG);
    const before = p.files();
    const missing = p.run(['init', '--mikro-orm', 'orm/nope.ts']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('tidemark: --mikro-orm orm/nope.ts: file not found\n');
    expect(p.files()).toEqual(before);
    expect(existsSync(join(p.dir, 'migrations'))).toBe(false);
    p.ok(['init', '--mikro-orm', 'orm/settings.ts']);
    expect(p.read('tidemark.config.ts')).toContain(`mikroOrm: './orm/settings.ts',`);
  });

  it("warns when the migrations folder already holds files tidemark did not write (MikroORM's own migrations)", () => {
    const p = app();
    p.write('mikro-orm.config.ts', ORM_CONFIG);
    p.write('migrations/Migration20240101000000.ts', `import { Migration } from '@mikro-orm/migrations';\nexport class Migration20240101000000 extends Migration {\n  override async up(): Promise<void> {}\n}\n`);
    const r = p.run(['init']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      "warning: ./migrations already holds 1 file(s) tidemark did not write (MikroORM's own migrations?): tidemark loads every .ts/.js file there, so move them or set 'migrations' in tidemark.config.ts to another folder\n",
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
    p.write('src/mikro-orm.config.ts', ORM_CONFIG);
    const forced = await initProject({ cwd: p.dir, force: true });
    expect(forced).toMatchObject({ mikroOrm: './src/mikro-orm.config.ts', overwritten: true, createdMigrationsDir: false });
  });
});
