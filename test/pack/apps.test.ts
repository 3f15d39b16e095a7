import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, describeRun, MIKRO_ORM_VERSIONS, mikroOrmSet, TYPESCRIPT } from './app.ts';
import { APPS, type AppKind } from './fixtures.ts';

/**
 * tidemark as users get it, in three kinds of MikroORM app at two MikroORM versions: installed
 * from the packed tarball, set up from the app's own MikroORM config, taken through the seed
 * story (three generated migrations; up, down, up), type-checked by the app's own strict tsc,
 * and refereed by MikroORM itself: after the story, MikroORM's schema generator, given the
 * app's config, must find nothing left to change.
 */

const CASES = MIKRO_ORM_VERSIONS.flatMap((version) => APPS.map((kind) => ({ version, kind, label: `MikroORM ${version}, ${kind.name} app` })));

const LONG = 300_000;

/** The file gen-migration says it wrote (`migrations/20261124090333_create_user_table.ts`) and its id. */
function writtenMigration(stdout: string): { file: string; id: string } | undefined {
  const m = /(\S*?(\d{14}_[a-z0-9_]+)\.ts)/.exec(stdout);
  return m ? { file: m[1]!, id: m[2]! } : undefined;
}

describe.concurrent.each(CASES)('$label', ({ version, kind }: { version: string; kind: AppKind }) => {
  describe('seed story', { concurrent: false }, () => {
    let app: App;
    const ids: string[] = [];
    const warnings: string[] = [];

    /** Runs tidemark, fails with its output unless it exits 0, and keeps any warning it printed. */
    async function ok(args: string[]): Promise<string> {
      const r = await app.tidemark(args);
      if (r.code !== 0) throw new Error(describeRun(`tidemark ${args.join(' ')}`, r));
      if (/warning/i.test(r.stderr)) warnings.push(`tidemark ${args.join(' ')}:\n${r.stderr}`);
      return r.stdout;
    }

    beforeAll(async () => {
      app = new App(`${kind.name}-${version}`);
      app.writeAll(kind.base);
      app.writeAll(kind.versions[0]);
      await app.install({ ...mikroOrmSet(version, { decorators: kind.decorators }), ...TYPESCRIPT });
    }, LONG);
    afterAll(() => app?.dispose());

    it('installs tidemark from the tarball next to the requested MikroORM', () => {
      expect(JSON.parse(app.read('node_modules/tidemark/package.json')).version).toBe('0.1.0');
      expect(JSON.parse(app.read('node_modules/@mikro-orm/core/package.json')).version).toBe(version);
      // One MikroORM in the tree: nothing brought a second copy.
      const cores = spawnSync('find', ['node_modules', '-type', 'd', '-path', '*node_modules/@mikro-orm/core'], { cwd: app.dir, encoding: 'utf8' });
      expect(cores.stdout.trim().split('\n')).toEqual(['node_modules/@mikro-orm/core']);
      expect(app.exists('node_modules/@mikro-orm/decorators')).toBe(kind.decorators);
      const du = spawnSync('du', ['-sk', 'node_modules'], { cwd: app.dir, encoding: 'utf8' });
      console.log(`${kind.name} app, MikroORM ${version}: node_modules ${du.stdout.split('\t')[0]} KiB (with typescript and @types/node)`);
    });

    it(kind.tidemarkConfig ? 'takes a tidemark.config.ts naming the MikroORM config' : 'tidemark init writes tidemark.config.ts pointing at the MikroORM config', async () => {
      if (kind.tidemarkConfig) {
        app.writeAll(kind.tidemarkConfig);
      } else {
        const out = await ok(['init']);
        expect(out).toContain('tidemark.config.ts');
      }
      expect(app.read('tidemark.config.ts')).toContain('mikro-orm.config.ts');
      expect(app.read('tidemark.config.ts')).toMatch(/^import \{ defineConfig \} from 'tidemark';$/m);
    }, LONG);

    it('gen-migration writes one migration per version, then finds no changes', async () => {
      const messages = ['create user table', 'create project table', 'add user age'];
      for (let v = 0; v < 3; v++) {
        if (v > 0) app.writeAll(kind.versions[v]!);
        const out = await ok(['gen-migration', '-m', messages[v]!]);
        const written = writtenMigration(out);
        expect(written?.id, `gen-migration output:\n${out}`).toMatch(new RegExp(`^\\d{14}_${messages[v]!.replaceAll(' ', '_')}$`));
        ids.push(written!.id);
        // What the app's tsc checks below: a migration class importing from 'tidemark'.
        expect(app.read(written!.file)).toMatch(/^import \{[^}]*\bTidemarkMigration\b[^}]*\} from 'tidemark';$/m);
      }
      // Entities and history agree: --check exits 0.
      await ok(['gen-migration', '--check']);
    }, LONG);

    it('migrate up, down, up', async () => {
      expect(await ok(['migrate', 'up'])).toContain('Applied 3 migrations');
      expect(await ok(['migrate', 'down'])).toContain('Reverted 1 migration');
      expect(await ok(['migrate', 'up'])).toContain(`Applied 1 migration`);
    }, LONG);

    it("the CLI runs on a bundle of the app's own MikroORM version, cached beside it", async () => {
      const r = await app.tidemark(['migrate', 'status'], { TIDEMARK_TIMING: '1' });
      expect(r.code, describeRun('status', r)).toBe(0);
      const said = /MikroORM (\S+): bundle (cached|built) in [\d.]+ ms \((.+)\)/.exec(r.stderr);
      expect(said, r.stderr).not.toBeNull();
      expect(said![1]).toBe(version);
      expect(said![2]).toBe('cached'); // built by the first command of the seed story
      expect(said![3]!.startsWith(app.dir)).toBe(true);
    }, LONG);

    it("the database has the tables and columns the app's naming gives", () => {
      expect(app.exists('app.sqlite3'), 'the database is where the MikroORM config puts it').toBe(true);
      const db = new Database(app.path('app.sqlite3'), { readonly: true });
      try {
        const tables = (db.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`).all() as { name: string }[]).map((r) => r.name);
        expect(tables).toEqual([...Object.keys(kind.tables), 'tidemark_migrations'].sort());
        for (const [table, columns] of Object.entries(kind.tables)) {
          const actual = (db.prepare('select name from pragma_table_info(?)').all(table) as { name: string }[]).map((r) => r.name);
          expect(actual, table).toEqual(columns);
        }
        const fks = db.prepare('select "table", "from", "to", on_delete from pragma_foreign_key_list(?)').all(kind.ownerFk.table);
        expect(fks).toEqual([{ table: kind.ownerFk.to, from: kind.ownerFk.from, to: 'id', on_delete: 'CASCADE' }]);
        const applied = (db.prepare('select name from tidemark_migrations order by id').all() as { name: string }[]).map((r) => r.name);
        expect(applied).toEqual(ids);
      } finally {
        db.close();
      }
    });

    it("the app's own strict tsc reports nothing in tidemark's types, its config or its migrations", async () => {
      const { run, mikroOrm, others } = await app.typecheck();
      // With skipLibCheck false, MikroORM's own .d.ts report errors in any app (7.2.x: a
      // TypeConfig constraint under exactOptionalPropertyTypes in EntitySerializer.d.ts, and
      // SqliteConnection.d.ts importing better-sqlite3, which ships no types). Those lines are
      // MikroORM's and left out here; everything else must be clean.
      expect(others, `tsc output:\n${run.stdout}${run.stderr}`).toEqual([]);
      expect(`${run.stdout}${run.stderr}`).not.toContain('node_modules/tidemark');
      for (const d of mikroOrm) expect(d).toMatch(/^node_modules\/@mikro-orm\/[^(]+\.d\.ts\(/);
    }, LONG);

    it('MikroORM, from the app\'s own config, finds nothing left to change (tidemark_migrations aside)', async () => {
      // The app as it runs in production: compiled by its own tsc, then plain Node.
      // (Checked just above; --noCheck only emits.)
      await app.tsc(['-p', '.', '--noCheck']);
      expect(app.exists(kind.referee), 'tsc emitted the referee').toBe(true);
      const r = await app.node([kind.referee]);
      expect(r.code, describeRun('referee', r)).toBe(0);
      const left = r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.includes('tidemark_migrations'));
      expect(left, `getUpdateSchemaSQL():\n${r.stdout}`).toEqual([]);
    }, LONG);

    it('printed no warnings along the way (Node\'s or its own)', () => {
      expect(warnings).toEqual([]);
    });
  });
});
