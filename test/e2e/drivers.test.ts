import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { observe, trialDatabase, writeChain } from '../db/runner-fixtures.ts';
import { unavailable } from '../db/servers.ts';
import { ROOT, TestProject } from './project.ts';

const CORE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules/@mikro-orm/core/package.json'), 'utf8')) as { version: string }).version;

// These tests watch which installed file of a package loads (markers, broken copies, pnpm-like
// layouts): the resolution a program calling tidemark's API gets. The CLI would load MikroORM
// from its bundle of the app's packages instead (test/pack checks that one), so it is off here.
process.env.TIDEMARK_NO_BUNDLE = '1';

const projects: TestProject[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c();
  projects.splice(0).forEach((p) => p.dispose());
});

function project(omit: string[], config?: string): TestProject {
  const p = new TestProject(config, omit);
  projects.push(p);
  // migrate refuses a missing migrations folder; an empty one is an empty history.
  mkdirSync(join(p.dir, 'migrations'));
  return p;
}

const NOTE = `import { defineEntity, p } from '@mikro-orm/core';\n\nexport const Note = defineEntity({ name: 'Note', properties: { id: p.integer().primary() } });\n`;

/** A file of `pkg` as installed in the repository. */
const real = (pkg: string, file = 'index.js') => join(ROOT, 'node_modules', pkg, file);

/** An ESM package at `at` (inside the project) that re-exports the repository's copy of `pkg`. */
function esmForwarder(p: TestProject, at: string, pkg: string): void {
  p.write(`${at}/package.json`, JSON.stringify({ name: pkg, version: CORE_VERSION, type: 'module', exports: { '.': './index.js', './package.json': './package.json' } }));
  p.write(`${at}/index.js`, `export * from ${JSON.stringify(pathToFileURL(real(pkg)).href)};\n`);
}

/**
 * A CommonJS client library at `at` that forwards to the repository's copy and leaves a file
 * named `loaded` beside itself: proof of which copy tidemark took.
 */
function markedClient(p: TestProject, at: string, pkg: string, files: string[] = ['index.js']): string {
  p.write(`${at}/package.json`, JSON.stringify({ name: pkg, version: '0.0.0-test', main: 'index.js' }));
  for (const f of files) {
    p.write(`${at}/${f}`, `require('node:fs').writeFileSync(require('node:path').join(__dirname, 'loaded'), '');\nmodule.exports = require(${JSON.stringify(f === 'index.js' ? join(ROOT, 'node_modules', pkg) : real(pkg, f))});\n`);
  }
  return join(p.dir, at, 'loaded');
}

describe('driver packages come from the app', () => {
  it("a missing driver: one line naming the package and the npm command at the app's MikroORM version, no password, nothing written", () => {
    const p = project(['@mikro-orm/postgresql']);
    const before = p.files();
    const expected = `needs the driver package @mikro-orm/postgresql: npm install @mikro-orm/postgresql@${CORE_VERSION}`;
    for (const args of [
      ['migrate', 'up', '--url', 'postgres://u:secret@127.0.0.1:5432/x'],
      ['migrate', 'status', '--url', 'postgres://u:secret@127.0.0.1:5432/x'],
    ]) {
      const r = p.run(args);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toBe(`tidemark: postgres://u:****@127.0.0.1:5432/x ${expected}\n`);
      expect(r.stdout + r.stderr).not.toContain('secret');
    }
    const sql = p.run(['migrate', 'up', '--sql', '--dialect', 'postgresql']);
    expect(sql.code).toBe(1);
    expect(sql.stderr).toBe(`tidemark: --dialect postgresql ${expected}\n`);
    expect(sql.stdout).toBe('');
    expect(p.files()).toEqual(before);
    // The drivers it has still work.
    expect(p.run(['migrate', 'up']).code).toBe(0);
    expect(existsSync(join(p.dir, 'app.db'))).toBe(true);
  });

  it('a missing MariaDB driver names @mikro-orm/mariadb, even though @mikro-orm/mysql is there', () => {
    const p = project(['@mikro-orm/mariadb']);
    const r = p.run(['migrate', 'up', '--url', 'mariadb://root:hunter22@127.0.0.1:3306/x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`tidemark: mariadb://root:****@127.0.0.1:3306/x needs the driver package @mikro-orm/mariadb: npm install @mikro-orm/mariadb@${CORE_VERSION}\n`);
    expect(r.stdout + r.stderr).not.toContain('hunter22');
  });

  it.each([
    ['pnpm-lock.yaml', 'pnpm add'],
    ['yarn.lock', 'yarn add'],
    ['package-lock.json', 'npm install'],
  ])("the app's lock file %s picks the install command (%s)", (lock, command) => {
    const p = project(['@mikro-orm/postgresql']);
    p.write(lock, '');
    const r = p.run(['migrate', 'up', '--sql', '--dialect', 'postgresql']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`tidemark: --dialect postgresql needs the driver package @mikro-orm/postgresql: ${command} @mikro-orm/postgresql@${CORE_VERSION}\n`);
  });

  it("in a workspace, the lock file at the workspace's root picks the install command", () => {
    const p = project(['@mikro-orm/postgresql'], '');
    p.write('pnpm-lock.yaml', '');
    p.write('packages/api/package.json', '{ "type": "module" }\n');
    p.write('packages/api/tidemark.config.ts', `export default { entities: ['./entities/*.ts'], url: 'sqlite:./app.db' };\n`);
    const r = p.run(['migrate', 'up', '--sql', '--dialect', 'postgresql', '--config', 'packages/api/tidemark.config.ts']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`tidemark: --dialect postgresql needs the driver package @mikro-orm/postgresql: pnpm add @mikro-orm/postgresql@${CORE_VERSION}\n`);
  });

  it("the app's copy of the driver wins over tidemark's own, for migrating and for reading the entities", () => {
    const p = project(['@mikro-orm/sqlite']);
    p.write('node_modules/@mikro-orm/sqlite/package.json', JSON.stringify({ name: '@mikro-orm/sqlite', version: CORE_VERSION, type: 'module', exports: { '.': './index.js' } }));
    p.write('node_modules/@mikro-orm/sqlite/index.js', `throw new Error('the app copy of @mikro-orm/sqlite was loaded');\n`);
    p.write('entities/Note.ts', NOTE);
    for (const args of [['migrate', 'up'], ['gen-migration', '-m', 'x']]) {
      const r = p.run(args);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toBe('tidemark: the sqlite driver (@mikro-orm/sqlite) cannot be loaded: the app copy of @mikro-orm/sqlite was loaded\n');
    }
    expect(p.migrations()).toEqual([]);
  });

  it('tidemark installed outside the app (no tidemark in its node_modules) falls back to its own drivers', () => {
    const p = project(['tidemark', '@mikro-orm/postgresql'], `export default { entities: ['./entities/*.ts'], url: 'sqlite:./app.db' };\n`);
    const r = p.run(['migrate', 'up', '--sql', '--dialect', 'postgresql']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('create table if not exists "tidemark_migrations"');
  });
});

describe("MikroORM's packages for reading the entities", () => {
  it('a broken @mikro-orm/decorators where tidemark looks for it: exit 1, one line naming the package', () => {
    const p = project(['@mikro-orm/decorators']);
    p.write('node_modules/@mikro-orm/decorators/package.json', JSON.stringify({ name: '@mikro-orm/decorators', version: CORE_VERSION, type: 'module', main: 'index.js', exports: { '.': './index.js', './legacy': './index.js' } }));
    p.write('node_modules/@mikro-orm/decorators/index.js', `throw new Error('this copy of the decorators is broken');\n`);
    // The entities get a working copy of their own (a workspace package with its own dependencies).
    mkdirSync(join(p.dir, 'entities/node_modules'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules/@mikro-orm'), join(p.dir, 'entities/node_modules/@mikro-orm'));
    p.write('entities/User.ts', `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';\n\n@Entity()\nexport class User {\n  @PrimaryKey()\n  id!: number;\n\n  @Property()\n  name!: string;\n}\n`);
    const r = p.run(['gen-migration', '-m', 'x']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe('tidemark: @mikro-orm/decorators/legacy cannot be loaded: this copy of the decorators is broken\n');
    expect(p.migrations()).toEqual([]);
  });

  it("the app's configured driver reads the entities with the @mikro-orm/core beside that driver (pnpm layout)", () => {
    const p = project(['@mikro-orm/sqlite'], '');
    esmForwarder(p, 'node_modules/@mikro-orm/sqlite', '@mikro-orm/sqlite');
    const at = 'node_modules/@mikro-orm/sqlite/node_modules/@mikro-orm/core';
    p.write(`${at}/package.json`, JSON.stringify({ name: '@mikro-orm/core', version: CORE_VERSION, type: 'module', exports: { '.': './index.js', './package.json': './package.json' } }));
    p.write(`${at}/index.js`, `import { writeFileSync } from 'node:fs';\nwriteFileSync(new URL('./loaded', import.meta.url), '');\nexport * from ${JSON.stringify(pathToFileURL(real('@mikro-orm/core')).href)};\n`);
    p.write('src/mikro-orm.config.ts', `import { defineConfig } from '@mikro-orm/sqlite';\n\nexport default defineConfig({ entities: ['./src/entities/*.ts'], dbName: 'app.db' });\n`);
    p.write('src/entities/Note.ts', NOTE);
    p.ok(['gen-migration', '-m', 'init']);
    expect(p.migrations()).toHaveLength(1);
    expect(existsSync(join(p.dir, at, 'loaded'))).toBe(true);
  });

  it('a driver whose own @mikro-orm/core is broken: exit 1, one line naming the package', () => {
    const p = project(['@mikro-orm/sqlite'], '');
    esmForwarder(p, 'node_modules/@mikro-orm/sqlite', '@mikro-orm/sqlite');
    const at = 'node_modules/@mikro-orm/sqlite/node_modules/@mikro-orm/core';
    p.write(`${at}/package.json`, JSON.stringify({ name: '@mikro-orm/core', version: '6.0.0', type: 'module', exports: { '.': './index.js' } }));
    p.write(`${at}/index.js`, `export const Configuration = class {};\n`);
    p.write('src/mikro-orm.config.ts', `import { defineConfig } from '@mikro-orm/sqlite';\n\nexport default defineConfig({ entities: ['./src/entities/*.ts'], dbName: 'app.db' });\n`);
    p.write('src/entities/Note.ts', NOTE);
    const r = p.run(['gen-migration', '-m', 'init']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe('tidemark: @mikro-orm/core has no export MikroORM: tidemark needs MikroORM 7\n');
    expect(p.migrations()).toEqual([]);
  });
});

/**
 * pnpm's layout: the app sees only its direct dependencies, each driver its own. The run lock's
 * client (better-sqlite3, pg, mysql2) must be found through the driver, not beside tidemark.
 */
describe('lock clients come from the driver package (pnpm layout)', () => {
  const cases: { target: DialectName; omit: string[]; setup(p: TestProject): string }[] = [
    {
      target: 'sqlite',
      omit: ['@mikro-orm/sqlite', 'better-sqlite3'],
      setup: (p) => {
        esmForwarder(p, 'node_modules/@mikro-orm/sqlite', '@mikro-orm/sqlite');
        return markedClient(p, 'node_modules/@mikro-orm/sqlite/node_modules/better-sqlite3', 'better-sqlite3');
      },
    },
    {
      target: 'postgresql',
      omit: ['@mikro-orm/postgresql', 'pg'],
      setup: (p) => {
        esmForwarder(p, 'node_modules/@mikro-orm/postgresql', '@mikro-orm/postgresql');
        return markedClient(p, 'node_modules/@mikro-orm/postgresql/node_modules/pg', 'pg');
      },
    },
    {
      // @mikro-orm/mariadb → its own @mikro-orm/mysql → mysql2
      target: 'mariadb',
      omit: ['@mikro-orm/mariadb', '@mikro-orm/mysql', 'mysql2'],
      setup: (p) => {
        esmForwarder(p, 'node_modules/@mikro-orm/mariadb', '@mikro-orm/mariadb');
        esmForwarder(p, 'node_modules/@mikro-orm/mariadb/node_modules/@mikro-orm/mysql', '@mikro-orm/mysql');
        return markedClient(p, 'node_modules/@mikro-orm/mariadb/node_modules/@mikro-orm/mysql/node_modules/mysql2', 'mysql2', ['index.js', 'promise.js']);
      },
    },
  ];

  for (const c of cases) {
    it(`${c.target}: migrate up takes the lock with the driver's client and applies the migration`, async (ctx) => {
      if (c.target !== 'sqlite' && (await unavailable(c.target as 'postgresql' | 'mariadb'))) return ctx.skip();
      const p = project(c.omit);
      const marker = c.setup(p);
      const [id] = writeChain(p, c.target, 1);
      const db = await trialDatabase(c.target, p, 'drivers');
      cleanups.push(db.drop);
      const r = p.run(['migrate', 'up', '--url', db.url]);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(marker)).toBe(true);
      const seen = await observe(db.url, c.target, p.dir);
      expect(seen.tables).toEqual(['t1']);
      expect(seen.rows).toEqual([{ name: id, status: 'applied' }]);
    });
  }
});
