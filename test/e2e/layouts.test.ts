import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, tables, TestProject } from './project.ts';

/**
 * The app's files load unchanged whatever its layout: a CommonJS NestJS app (no `type`,
 * extensionless and folder imports, tsconfig paths, `__dirname`), .mts and .cts files, imports
 * of MikroORM's types without `type`, enums anywhere. Each through the real CLI: gen-migration
 * writes the expected tables, migrate up applies them.
 */
describe('project layouts', () => {
  const projects: TestProject[] = [];
  const project = (fixture: string) => {
    const p = new TestProject('');
    projects.push(p);
    // Overwrites TestProject's `{ "type": "module" }` with the fixture's own package.json.
    cpSync(join(ROOT, 'test/fixtures/layouts', fixture), p.dir, { recursive: true });
    return p;
  };
  afterEach(() => projects.splice(0).forEach((p) => p.dispose()));

  const generatesAndApplies = (p: TestProject, expected: string[]) => {
    p.ok(['gen-migration', '-m', 'init']);
    const [file] = p.migrations();
    expect(file).toMatch(/_init\.ts$/);
    p.ok(['migrate', 'up']);
    const db = p.db();
    try {
      expect(tables(db)).toEqual([...expected, 'tidemark_migrations'].sort());
    } finally {
      db.close();
    }
    expect(p.ok(['gen-migration', '--check'])).toContain('No changes');
    return p.read(`migrations/${file}`);
  };

  it('a CommonJS NestJS app: extensionless, folder, .js and tsconfig-paths imports, __dirname, enums, type imports', () => {
    const p = project('nest-cjs');
    const migration = generatesAndApplies(p, ['app_users', 'post']);
    expect(migration).toContain(`this.createTable('app_users'`);
    expect(migration).toMatch(/t\.column\('role', \{ type: 'string', length: 16, default: 'member' \}\)/);
    expect(migration).toMatch(/t\.column\('level', \{[^}]*default: 1/);
    // User and Post refer to each other: one of the two foreign keys is added after both tables.
    expect(migration).toMatch(/'post_author_id_foreign', \['author_id'\], 'app_users', \['id'\]\)/);
    expect(migration).toMatch(/'app_users_pinned_id_foreign', \['pinned_id'\], 'post', \['id'\]/);
    // The migration itself is CommonJS in this package, and loads too.
    expect(p.ok(['migrate', 'status'])).toContain('(head)');
  });

  it('an ESM app: type imports without `type` in decorated and plain files, enums in both, .js and extensionless specifiers', () => {
    const p = project('esm-types');
    const migration = generatesAndApplies(p, ['author', 'book']);
    expect(migration).toMatch(/t\.column\('kind', \{ type: 'string', length: 16, default: 'person' \}\)/);
    expect(migration).toMatch(/t\.column\('status', \{ type: 'string', length: 16, default: 'draft' \}\)/);
    expect(migration).toMatch(/t\.column\('token', /);
    expect(migration).toMatch(/t\.foreignKey\('book_author_id_foreign', \['author_id'\], 'author', \['id'\]\)/);
  });

  it('the same sources switched from ESM to CommonJS are transpiled again, not served from the cache', () => {
    const p = project('esm-types');
    generatesAndApplies(p, ['author', 'book']);
    p.write('package.json', '{ "name": "esm-app", "private": true }\n');
    expect(p.ok(['gen-migration', '--check'])).toContain('No changes');
    expect(p.ok(['migrate', 'status'])).toContain('(head)');
  });

  it('.mts and .cts entity files in a package without type', () => {
    const p = project('mts-cts');
    const migration = generatesAndApplies(p, ['book', 'writers']);
    expect(migration).toMatch(/'book_author_id_foreign', \['author_id'\], 'writers', \['id'\]/);
  });

  it('a syntax error names file:line, in an imported file and in an entity file', () => {
    const p = project('nest-cjs');
    p.write('src/users/role.enum.ts', `export enum Role {\n  Admin = 'admin',\n  Member = 'member',\n  Guest = ,\n}\nexport const enum Level { Low = 1, High = 2 }\n`);
    const r = p.run(['gen-migration', '-m', 'init']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/src\/users\/role\.enum\.ts:4:11\b/);
    expect(p.migrations()).toEqual([]);

    const q = project('esm-types');
    q.write('entities/book.entity.ts', q.read('entities/book.entity.ts').replace('title!: string;', 'title!: string = ;'));
    const s = q.run(['gen-migration', '-m', 'init']);
    expect(s.code).not.toBe(0);
    // author.entity.ts, loaded first, imports book.entity.ts: the error names the broken file.
    expect(s.stderr).toMatch(/cannot load entity file entities\/.*Expression expected.*entities\/book\.entity\.ts:12:20\b/);
  });

  const cycle = (ext: string) => ({
    // account imports manager (for a relation) and manager extends account: loading account first
    // reaches manager while Account is not defined yet.
    'account.entity.ts': `import { Entity, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Collection } from '@mikro-orm/core';
import { Manager } from './manager.entity${ext}';

@Entity({ discriminatorColumn: 'type', discriminatorValue: 'account' })
export class Account {
  @PrimaryKey()
  id!: number;

  @Property({ nullable: true })
  type?: string;

  @OneToMany(() => Manager, (m) => m.boss)
  reports = new Collection<Manager>(this);
}
`,
    'manager.entity.ts': `import { Entity, ManyToOne } from '@mikro-orm/decorators/legacy';
import { Account } from './account.entity${ext}';


@Entity({ discriminatorValue: 'manager' })
export class Manager extends Account {
  @ManyToOne(() => Account, { nullable: true })
  boss?: Account;
}
`,
  });

  it('a module cycle that leaves a class undefined names the file where it broke (CommonJS)', () => {
    const p = project('nest-cjs');
    for (const [name, text] of Object.entries(cycle(''))) p.write(`src/users/${name}`, text);
    const r = p.run(['gen-migration', '-m', 'init']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('Class extends value undefined');
    expect(r.stderr).toMatch(/src\/users\/manager\.entity\.ts:6\b/);
  });

  it('a module cycle that leaves a class undefined names the file where it broke (ESM)', () => {
    const p = project('esm-types');
    for (const [name, text] of Object.entries(cycle('.js'))) p.write(`entities/${name}`, text);
    const r = p.run(['gen-migration', '-m', 'init']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`Cannot access 'Account' before initialization`);
    expect(r.stderr).toMatch(/entities\/manager\.entity\.ts:6\b/);
  });

  it('the host process resolves and loads its own modules as it would without the loader', () => {
    const p = project('esm-types');
    p.write('host/plain.mjs', `export const plain = 'plain';\n`);
    p.write('host/later.mjs', `export const later = 'later';\n`);
    p.write('host/helper.ts', `export const helper = 1;\n`);
    p.write('host/with-enum.ts', `export enum E { A }\n`);
    // Resolved and imported before and after the loader is installed (with an app file loaded through it).
    p.write(
      'host/run.mjs',
      `const install = process.argv[2] === 'install';
const out = {};
const attempt = async (name, f) => { try { out[name] = await f(); } catch (e) { out[name] = 'error ' + (e.code ?? e.name); } };
const kysely = await import('kysely');
const plain = await import('./plain.mjs');
await attempt('before:kysely', () => import.meta.resolve('kysely'));
if (install) {
  const loader = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/loader/ts-loader.ts')).href)});
  loader.installTsLoader();
  const author = await loader.loadUserModule(${JSON.stringify(join(p.dir, 'entities/author.entity.ts'))});
  out.appLoaded = typeof author.Author;
}
await attempt('kysely', () => import.meta.resolve('kysely'));
await attempt('pg', () => import.meta.resolve('pg'));
await attempt('later', () => import.meta.resolve('./later.mjs'));
out.sameKysely = (await import('kysely')) === kysely;
out.samePlain = (await import('./plain.mjs')) === plain;
await attempt('laterValue', async () => (await import('./later.mjs')).later);
await attempt('extensionless', () => import('./helper'));
await attempt('enumTs', async () => Object.keys((await import('./with-enum.ts')).E ?? {}).join(','));
const { createRequire } = await import('node:module');
const require = createRequire(import.meta.url);
await attempt('requireResolve', () => require.resolve('kysely'));
await attempt('requireExtensionless', () => require('./helper'));
process.stdout.write(JSON.stringify(out));
`,
    );
    const run = (mode: string) => {
      const r = spawnSync(process.execPath, ['host/run.mjs', mode], { cwd: p.dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const without = run('plain');
    const { appLoaded, ...withLoader } = run('install');
    expect(appLoaded).toBe('function');
    expect(withLoader).toEqual(without);
    expect(without.sameKysely).toBe(true);
    expect(without.kysely).toBe(without['before:kysely']);
    expect(String(without.extensionless)).toMatch(/^error /);
  });
});
