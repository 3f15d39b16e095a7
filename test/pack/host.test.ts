import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, describeRun, MIKRO_ORM_VERSIONS, mikroOrmSet } from './app.ts';

/**
 * tidemark as a library inside the app's own process: it must use the app's MikroORM (the very
 * module objects the app has), and leave the app's module loading as it found it.
 */

const PLAIN = (kind: string, exports: 'esm' | 'cjs') => {
  const body = `const kind = '${kind}';
// Kept verbatim by Node; a transpiler would drop this comment or reformat the spacing below.
function shout(word) {
  return   word.toUpperCase() + '!'; // odd spacing on purpose
}
function where() {
  return new Error('here').stack.split('\\n')[1].trim();
}
`;
  return exports === 'esm'
    ? `${body}export const url = import.meta.url;\nexport { kind, shout, where };\n`
    : `${body}module.exports = { kind, shout, where, url: require('node:url').pathToFileURL(__filename).href };\n`;
};

/** Prints, as JSON, what the app sees of MikroORM and of its own plain modules, with or without tidemark having run. */
const PROBE = `import { createRequire } from 'node:module';

const withTidemark = process.argv[2] === 'with';
const core = await import('@mikro-orm/core');
const sqlite = await import('@mikro-orm/sqlite');
const report = { coreVersion: core.Utils.getORMVersion?.() };

if (withTidemark) {
  const tidemark = await import('tidemark');
  const result = await tidemark.migrateUp({ cwd: process.cwd() });
  report.ran = result.ran;
  const { Migration } = await import('@mikro-orm/migrations');
  report.tidemarkMigrationExtendsAppMigration = Object.getPrototypeOf(tidemark.TidemarkMigration) === Migration;
}

const coreAgain = await import('@mikro-orm/core');
const sqliteAgain = await import('@mikro-orm/sqlite');
report.sameCoreModule = coreAgain === core;
report.sameMikroORMClass = coreAgain.MikroORM === core.MikroORM && sqliteAgain.MikroORM === sqlite.MikroORM;
report.coreVersionAgain = coreAgain.Utils.getORMVersion?.();

const look = (m) => ({ kind: m.kind, url: m.url, shout: m.shout.toString(), said: m.shout('tide'), where: m.where() });
report.plain = {
  mjs: look(await import('./lib/plain.mjs')),
  js: look(await import('./lib/plain.js')),
  cjs: look(createRequire(import.meta.url)('./lib/plain.cjs')),
};
process.stdout.write(JSON.stringify(report));
`;

describe.concurrent.each(MIKRO_ORM_VERSIONS)('MikroORM %s in the host app', (version) => {
  describe('host app', { concurrent: false }, () => {
    let app: App;
    let migration: string;

    beforeAll(async () => {
      app = new App(`host-${version}`);
      app.writeAll({
        'package.json': `${JSON.stringify({ name: 'host', private: true, type: 'module' }, null, 2)}\n`,
        'tidemark.config.ts': `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({\n  entities: ['./entities/*.ts'],\n  migrations: './migrations',\n  url: 'sqlite:./host.sqlite3',\n});\n`,
        'entities/user.ts': `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';\n\n@Entity()\nexport class User {\n  @PrimaryKey()\n  id!: number;\n\n  @Property()\n  name!: string;\n}\n`,
        'lib/plain.mjs': PLAIN('mjs', 'esm'),
        'lib/plain.js': PLAIN('js', 'esm'),
        'lib/plain.cjs': PLAIN('cjs', 'cjs'),
        'probe.mjs': PROBE,
      });
      await app.install(mikroOrmSet(version, { decorators: true }));
      const out = await app.ok(['gen-migration', '-m', 'create user table']);
      migration = /(\d{14}_create_user_table)\.ts/.exec(out)?.[1] ?? `(no migration in: ${out})`;
    }, 300_000);
    afterAll(() => app?.dispose());

    it("migrateUp() runs on the app's own MikroORM and leaves its module loading as it was", async () => {
      const without = await app.node(['probe.mjs', 'without']);
      expect(without.code, describeRun('probe without tidemark', without)).toBe(0);
      const plain = JSON.parse(without.stdout);
      const r = await app.node(['probe.mjs', 'with']);
      expect(r.code, describeRun('probe with tidemark', r)).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.ran).toEqual([migration]);
      expect(report.coreVersion).toBe(version);
      expect(report.coreVersionAgain).toBe(version);
      expect(report.sameCoreModule).toBe(true);
      expect(report.sameMikroORMClass).toBe(true);
      expect(report.tidemarkMigrationExtendsAppMigration).toBe(true);
      // Plain .mjs, .js (ESM package) and .cjs files load exactly as they do without tidemark.
      expect(report.plain).toEqual(plain.plain);
      expect(report.plain.js.shout).toContain('// odd spacing on purpose');
    }, 300_000);

    it('a driver the app has not installed: one line naming the package, exit 1, no password', async () => {
      const r = await app.tidemark(['migrate', 'up', '--url', 'postgres://u:pw@127.0.0.1:5432/x']);
      expect(r.code, describeRun('migrate up --url postgres://…', r)).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toContain('@mikro-orm/postgresql');
      expect(`${r.stdout}${r.stderr}`).not.toContain('pw');
    }, 300_000);
  });
});
