import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { introspect } from '../../src/introspect/introspect.ts';
import { expectedPhysical } from '../../src/introspect/physical.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { replayInChild, ROOT, TestProject } from '../e2e/project.ts';
import { freshDatabase, unavailable, type ServerKind } from './servers.ts';

/**
 * One migrations folder, three databases. The repository's example and a longer history that
 * uses every kind of operation are applied step by step on SQLite, PostgreSQL and MariaDB; after
 * every step the live schema must be the one the history says, and `down` to base must leave
 * nothing but the version table.
 */
const EVOLUTION = join(ROOT, 'test/fixtures/evolution');
const STEPS: { version: string; message: string; renames?: string[]; allow?: boolean }[] = [
  { version: 'v1', message: 'authors and books' },
  { version: 'v2', message: 'tags, author age, title index' },
  { version: 'v3', message: 'publishers, wider names, nullable price' },
  { version: 'v4', message: 'drop tags and bio, rename publisher and email', renames: ['publisher=press', 'author.email=contact_email'], allow: true },
];

function buildEvolution(p: TestProject): void {
  STEPS.forEach((step, i) => {
    p.remove('entities');
    const dir = join(EVOLUTION, step.version);
    for (const f of readdirSync(dir)) cpSync(join(dir, f), join(p.dir, 'entities', f));
    const renames = (step.renames ?? []).flatMap((r) => ['--rename', r]);
    p.ok(['gen-migration', '-m', step.message, ...renames, ...(step.allow ? ['--allow-destructive'] : [])], { TIDEMARK_NOW: `2026-02-0${i + 1}T10:00:00Z` });
  });
}

function exampleProject(): TestProject {
  const p = new TestProject(null as unknown as string);
  cpSync(join(ROOT, 'tidemark.config.ts'), join(p.dir, 'tidemark.config.ts'));
  cpSync(join(ROOT, 'entities'), join(p.dir, 'entities'), { recursive: true });
  cpSync(join(ROOT, 'migrations'), join(p.dir, 'migrations'), { recursive: true });
  return p;
}

const targets: { name: DialectName; server?: ServerKind }[] = [{ name: 'sqlite' }, { name: 'postgresql', server: 'postgresql' }, { name: 'mariadb', server: 'mariadb' }];

for (const target of targets) {
  const skip = target.server ? await unavailable(target.server) : undefined;
  describe.skipIf(Boolean(skip))(`one history on ${target.name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let url: string;
    let drop = async () => {};
    const projects: TestProject[] = [];
    beforeAll(async () => {
      if (target.server) {
        const d = await freshDatabase(target.server);
        url = d.url;
        drop = d.drop;
      }
    });
    afterAll(async () => {
      projects.forEach((p) => p.dispose());
      await drop();
    });

    const dbUrl = (p: TestProject) => url ?? `sqlite:${join(p.dir, 'portable.db')}`;

    async function live(p: TestProject) {
      const u = parseDatabaseUrl(dbUrl(p), p.dir, 'test');
      const db = await openDatabase(u, 'tidemark_migrations', [], process.cwd());
      try {
        return await introspect(db.execute, target.name, ['tidemark_migrations']);
      } finally {
        await db.close();
      }
    }

    it('the example history: up matches the snapshot, check is clean, down to base empties it', async () => {
      const p = exampleProject();
      projects.push(p);
      p.ok(['migrate', 'up', '--url', dbUrl(p)]);
      const history = replayInChild(p);
      const snapshot = history.schemas[history.heads[0]!]!;
      expect(await live(p)).toEqual(expectedPhysical(snapshot, target.name));
      expect(p.run(['gen-migration', '--check', '--url', dbUrl(p)]).code).toBe(0);
      p.ok(['migrate', 'down', '--to', 'base', '--url', dbUrl(p)]);
      expect(await live(p)).toEqual({ tables: [] });
    });

    if (target.name === 'postgresql') {
      it('?schema= puts the tables, the checks and the version table in that schema', async () => {
        const p = exampleProject();
        projects.push(p);
        const inSchema = `${url}?schema=app_schema`;
        p.ok(['migrate', 'up', '--url', inSchema]);
        const db = await openDatabase(parseDatabaseUrl(url, p.dir, 'test'), 'tidemark_migrations', [], process.cwd());
        try {
          const where = await db.execute(`select table_schema as s, table_name as t from information_schema.tables where table_schema in ('public', 'app_schema') order by 1, 2`);
          // (Earlier tests in this database leave public.tidemark_migrations; no user table may be there.)
          expect(where.filter((r) => r.s === 'app_schema')).toEqual([
            { s: 'app_schema', t: 'project' },
            { s: 'app_schema', t: 'tidemark_migrations' },
            { s: 'app_schema', t: 'user' },
          ]);
          expect(where.filter((r) => r.s === 'public' && r.t !== 'tidemark_migrations')).toEqual([]);
          const history = replayInChild(p);
          const snapshot = history.schemas[history.heads[0]!]!;
          expect(await introspect(db.execute, 'postgresql', ['tidemark_migrations'], 'app_schema')).toEqual(expectedPhysical(snapshot, 'postgresql'));
        } finally {
          await db.close();
        }
        expect(p.ok(['migrate', 'status', '--url', inSchema])).toContain('Pending (0): none');
        p.ok(['migrate', 'down', '--to', 'base', '--url', inSchema]);
      });
    }

    it('reserved words, mixed case, Unicode and long names survive the round trip', async () => {
      const p = new TestProject();
      projects.push(p);
      const long = 'a_rather_long_table_name_that_goes_on_and_on_for_a_while';
      p.write(
        'entities/Order.ts',
        `import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity({ tableName: 'user' })
export class User {
  @PrimaryKey()
  id!: number;

  @Property({ fieldName: 'select' })
  select!: string;
}

@Entity({ tableName: 'order' })
@Index({ properties: ['displayName', 'größe'] })
export class Order {
  @PrimaryKey()
  id!: number;

  @Property({ fieldName: 'displayName' })
  displayName!: string;

  @Property({ fieldName: 'größe', type: 'decimal', precision: 8, scale: 2 })
  größe!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;
}

@Entity({ tableName: '${long}' })
@Index({ properties: ['description', 'anotherRatherLongColumnName'] })
export class Long {
  @PrimaryKey()
  id!: number;

  @Property({ length: 200 })
  description!: string;

  @Property({ fieldName: 'another_rather_long_column_name' })
  anotherRatherLongColumnName!: string;
}
`,
      );
      p.ok(['gen-migration', '-m', 'awkward names']);
      const file = p.read(`migrations/${p.migrations()[0]}`);
      const names = [...file.matchAll(/t\.(?:index|unique|foreignKey)\('([^']+)'/g)].map((m) => m[1]!);
      expect(names.length).toBeGreaterThan(3);
      for (const n of names) expect(Buffer.byteLength(n)).toBeLessThanOrEqual(63);
      p.ok(['migrate', 'up', '--url', dbUrl(p)]);
      const history = replayInChild(p);
      expect(await live(p)).toEqual(expectedPhysical(history.schemas[history.order.at(-1)!]!, target.name));
      p.ok(['migrate', 'down', '--url', dbUrl(p)]);
      expect(await live(p)).toEqual({ tables: [] });
    });

    it('a history with every kind of operation, step by step, up and down', async () => {
      const p = new TestProject();
      projects.push(p);
      buildEvolution(p);
      const history = replayInChild(p);
      expect(history.order).toHaveLength(STEPS.length);
      for (const id of history.order) {
        p.ok(['migrate', 'up', '--to', id, '--url', dbUrl(p)]);
        expect(await live(p), `after up to ${id}`).toEqual(expectedPhysical(history.schemas[id]!, target.name));
      }
      expect(p.run(['gen-migration', '--check', '--url', dbUrl(p)]).code).toBe(0);
      for (const id of [...history.order].reverse().slice(1)) {
        p.ok(['migrate', 'down', '--url', dbUrl(p)]);
        expect(await live(p), `after down to ${id}`).toEqual(expectedPhysical(history.schemas[id]!, target.name));
      }
      p.ok(['migrate', 'down', '--url', dbUrl(p)]);
      expect(await live(p)).toEqual({ tables: [] });
    });
  });
}
