import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { TestProject } from '../e2e/project.ts';
import { freshDatabase, unavailable, type ServerKind } from './servers.ts';

/**
 * `tables: { exclude: [...] }`: a legacy table that exists in the database (and has an entity)
 * and tables matched by a glob with no entity (an extension's) are invisible to tidemark:
 * gen-migration neither creates nor drops them, `check --url`, `migrate status`, `migrate up`'s
 * unrecorded-schema check, `baseline` and `verify` ignore them. The same project without the
 * setting (the control) sees every one of them.
 */

const LEGACY_USER = `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity({ tableName: 'legacy_user' })
export class LegacyUser {
  @PrimaryKey()
  id!: number;

  @Property()
  name!: string;
}
`;

const AUTHOR = `import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { LegacyUser } from './LegacyUser.js';

@Entity()
export class Author {
  @PrimaryKey()
  id!: number;

  @Property()
  name!: string;

  @ManyToOne(() => LegacyUser, { nullable: true })
  owner?: LegacyUser;
}
`;

const AUDIT_LOG = `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity({ tableName: 'audit_log' })
export class AuditLog {
  @PrimaryKey()
  id!: number;

  @Property()
  line!: string;
}
`;

const config = (tables?: string) => `import { defineConfig } from 'tidemark';

export default defineConfig({
  entities: ['./entities/*.ts'],
  migrations: './migrations',
  url: 'sqlite:./app.db',${tables ? `\n  tables: ${tables},` : ''}
});
`;
const FILTERED = config(`{ exclude: ['legacy_user', 'ext_*'] }`);

type Execute = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

async function withDb<T>(p: TestProject, url: string, fn: (execute: Execute) => Promise<T>): Promise<T> {
  const db = await openDatabase(parseDatabaseUrl(url, p.dir, 'test'), 'tidemark_migrations', [], process.cwd());
  try {
    return await fn((sql, params) => db.execute(sql, params));
  } finally {
    await db.close();
  }
}

/** The tables the app and an extension keep beside tidemark's: never in any migration. */
async function legacyTables(p: TestProject, url: string): Promise<void> {
  await withDb(p, url, async (execute) => {
    await execute('create table legacy_user (id integer primary key, name varchar(50) not null)');
    await execute(`insert into legacy_user (id, name) values (1, 'kept')`);
    await execute('create table ext_stats (k varchar(20), v integer)');
  });
}

const targets: { name: string; server?: ServerKind }[] = [{ name: 'sqlite' }, { name: 'postgresql', server: 'postgresql' }];

for (const target of targets) {
  const skip = target.server ? await unavailable(target.server) : undefined;
  describe.skipIf(Boolean(skip))(`tables.exclude on ${target.name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanup: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
      for (const c of cleanup) await c();
    });
    const database = async (p: TestProject, name: string) => {
      if (!target.server) return `sqlite:${join(p.dir, `${name}.db`)}`;
      const d = await freshDatabase(target.server);
      cleanup.push(() => d.drop());
      return d.url;
    };

    it('gen ignores them (an entity on one is left out with a note), drift, status, up, baseline and verify ignore them; the control sees them', async () => {
      const p = new TestProject(FILTERED);
      cleanup.push(() => p.dispose());
      p.write('entities/LegacyUser.ts', LEGACY_USER).write('entities/Author.ts', AUTHOR);

      const gen = p.run(['gen-migration', '-m', 'init'], { TIDEMARK_NOW: '2026-05-01T10:00:00Z' });
      expect(gen.code, gen.stderr).toBe(0);
      expect(gen.stderr).toContain(
        "note: left out of the migration, not managed ('tables' in tidemark.config.ts): table legacy_user, foreign key author.author_owner_id_foreign → legacy_user\n",
      );
      const [init] = p.migrations() as [string];
      const code = p.read(`migrations/${init}`);
      expect(code).toContain("this.createTable('author'");
      expect(code).toContain("t.column('owner_id'");
      expect(code).not.toContain('legacy_user');
      expect(p.run(['check']).code).toBe(0);
      expect(p.run(['gen-migration', '--check']).code).toBe(0);

      const url = await database(p, 'filter');
      const shown = parseDatabaseUrl(url, p.dir, 'test').display;
      await legacyTables(p, url);
      // Not "database not empty": the tables it holds are not tidemark's.
      p.ok(['migrate', 'up', '--url', url]);
      if (target.name === 'postgresql') {
        // A key a DBA added to the legacy table is about that table: not drift either.
        await withDb(p, url, (execute) => execute('alter table author add constraint author_owner_fk foreign key (owner_id) references legacy_user (id)'));
      }
      const clean = p.run(['check', '--url', url]);
      expect(clean.stdout).toBe(`ok: the entities, the snapshot and the migration history agree, and ${shown} holds the schema its 1 applied migration(s) make.\n`);
      expect(clean.code).toBe(0);
      expect(JSON.parse(p.ok(['migrate', 'status', '--url', url, '--json'])).drift).toEqual([]);

      // A table the history made, excluded later (with its entity gone): not dropped.
      p.write('entities/AuditLog.ts', AUDIT_LOG);
      p.ok(['gen-migration', '-m', 'audit'], { TIDEMARK_NOW: '2026-05-01T11:00:00Z' });
      p.ok(['migrate', 'up', '--url', url]);
      p.remove('entities/AuditLog.ts');
      expect(p.run(['gen-migration', '--check']).code).toBe(1);
      p.write('tidemark.config.ts', config(`{ exclude: ['legacy_user', 'ext_*', 'audit_*'] }`));
      expect(p.ok(['gen-migration', '-m', 'nothing'])).toBe('No changes: the entities match the migration history.\n');
      expect(p.migrations()).toHaveLength(2);

      // A hand-written migration that makes an extension's table: verify does not hold it against the history.
      p.ok(['gen-migration', '--empty', '-m', 'ext cache'], { TIDEMARK_NOW: '2026-05-01T12:00:00Z' });
      const ext = p.migrations().find((f) => f.includes('ext_cache'))!;
      const emptyUp = /override up\(\): void \{\n\s*\}/;
      const emptyDown = /override down\(\): void \{\n\s*\}/;
      expect(p.read(`migrations/${ext}`)).toMatch(emptyUp);
      p.write(
        `migrations/${ext}`,
        p
          .read(`migrations/${ext}`)
          .replace(emptyUp, "override up(): void {\n    this.sql('create table ext_cache (id integer)');\n  }")
          .replace(emptyDown, "override down(): void {\n    this.sql('drop table ext_cache');\n  }"),
      );
      p.ok(['migrate', 'up', '--url', url]);
      expect(p.run(['check', '--url', url]).code).toBe(0);

      const scratch = await database(p, 'scratch');
      await withDb(p, scratch, (execute) => execute('create table ext_stats (k varchar(20), v integer)'));
      for (const args of [['verify'], ['verify', '--url', scratch]]) {
        const v = p.run(args);
        expect(v.stdout, `${args.join(' ')}: ${v.stderr}`).toBe('ok: 3 migration(s) went up, down and up again, matching the history at every step.\n');
        expect(v.code).toBe(0);
      }

      // baseline: the version table lost, the schema adopted again though legacy tables are there.
      await withDb(p, url, (execute) => execute('drop table tidemark_migrations'));
      const b = p.run(['baseline', '--url', url]);
      expect(b.stdout + b.stderr).toContain(`Baselined ${shown} at ${p.migrations().at(-1)!.replace('.ts', '')}`);
      expect(b.code).toBe(0);
      expect(b.stdout).not.toContain('Forced');
      expect(p.run(['check', '--url', url]).code).toBe(0);
      expect(await withDb(p, url, (execute) => execute('select name from legacy_user'))).toEqual([{ name: 'kept' }]);

      // The control: the same project without the setting sees every one of them.
      p.write('tidemark.config.ts', config());
      const seen = JSON.parse(p.run(['check', '--url', url, '--json']).stdout);
      const drift = seen.problems.find((x: { code: string }) => x.code === 'drift').drift as { kind: string; object: string; table: string }[];
      const extraTables = drift.filter((d) => d.kind === 'extra' && d.object === 'table').map((d) => d.table);
      expect(extraTables).toEqual(['ext_cache', 'ext_stats', 'legacy_user']);
      expect(seen.problems.map((x: { code: string }) => x.code)).toContain('uncaptured-changes');
      const v = p.run(['verify']);
      expect(v.code).toBe(1);
      expect(v.stderr).toContain('table ext_cache should not exist');
      const another = await database(p, 'another');
      await withDb(p, another, (execute) => execute('create table ext_stats (k varchar(20), v integer)'));
      const used = p.run(['verify', '--url', another]);
      expect(used.code).toBe(1);
      expect(used.stderr).toContain('is not empty: verify needs a scratch database');
    });
  });
}

describe('tables: patterns it cannot take', () => {
  it('one line naming the config file, exit 1, nothing written', () => {
    const cases: [string, string][] = [
      [`{ exclude: ['legacy[0-9]'] }`, `'tables.exclude' pattern 'legacy[0-9]' has '[': each entry is a table name in which only * and ? are wildcards`],
      [`{ exclude: ['public.legacy'] }`, `'tables.exclude' pattern 'public.legacy' has '.': each entry is a table name without its schema (tidemark migrates one schema)`],
      [`{ include: [] }`, `'tables.include' is empty, which would leave every table out: remove it to manage every table`],
      [`{ exclude: [''] }`, `'tables.exclude' has an empty pattern: each entry is a table name or a pattern such as 'legacy_*'`],
      [`{ exclude: 'legacy_*' }`, `'tables.exclude' must be a list of table names or patterns`],
      [`{ skip: ['legacy_*'] }`, `'tables' has an unknown key 'skip' (it takes include and exclude)`],
      [`['legacy_*']`, `'tables' must be { include?: [...], exclude?: [...] }`],
    ];
    for (const [tables, message] of cases) {
      const p = new TestProject(config(tables));
      try {
        p.write('entities/LegacyUser.ts', LEGACY_USER);
        const before = p.files();
        for (const args of [['gen-migration', '-m', 'init'], ['check']]) {
          const r = p.run(args);
          expect(r.code).toBe(1);
          expect(r.stderr).toBe(`tidemark: tidemark.config.ts: ${message}\n`);
        }
        expect(p.files()).toEqual(before);
      } finally {
        p.dispose();
      }
    }
  });
});
