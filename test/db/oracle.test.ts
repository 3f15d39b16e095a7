import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, TestProject } from '../e2e/project.ts';
import { freshDatabase, unavailable, type ServerKind } from './servers.ts';

/**
 * MikroORM is the referee. Fixtures that together use every entity feature MikroORM 7 creates
 * tables for are generated once, applied by tidemark to SQLite, PostgreSQL and MariaDB, and then
 * MikroORM's own `getUpdateSchemaSQL()` for the same entities must want nothing there that it
 * does not also want on a database it created itself with `schema.create()` (SQLite, for a
 * few models). The live indexes must match the ones on MikroORM's database (its diff does not
 * look at index types), and a graph written and read through MikroORM's EntityManager must
 * read back the same from both.
 */
const FIXTURES = ['shop', 'kinds', 'shapes'];
const NODE = join(ROOT, 'node_modules/.bin/node');
const REFEREE = join(ROOT, 'test/db/oracle/referee.ts');
const NOW = { TIDEMARK_NOW: '2026-04-01T00:00:00Z' };

type Kind = 'sqlite' | ServerKind;
const KINDS: Kind[] = ['sqlite', 'postgresql', 'mariadb'];

function referee(p: TestProject, url: string, mode: 'update' | 'create' | 'indexes' | 'graph'): unknown {
  const r = spawnSync(NODE, [REFEREE, p.dir, url, mode], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`referee ${mode} on ${url} failed:\n${r.stderr}`);
  return mode === 'create' ? undefined : JSON.parse(r.stdout);
}

let sqliteCount = 0;
async function database(kind: Kind, p: TestProject): Promise<{ url: string; drop(): Promise<void> }> {
  if (kind === 'sqlite') return { url: `sqlite:${join(p.dir, `oracle-${process.pid}-${sqliteCount++}.db`)}`, drop: async () => {} };
  return freshDatabase(kind);
}

/** What MikroORM still wants on a database tidemark built, beside what it wants on its own. */
async function judge(p: TestProject, kind: Kind, migrate: (url: string) => void) {
  const ours = await database(kind, p);
  const theirs = await database(kind, p);
  try {
    migrate(ours.url);
    referee(p, theirs.url, 'create');
    return {
      wanted: referee(p, ours.url, 'update') as string[],
      selfWanted: referee(p, theirs.url, 'update') as string[],
      indexes: referee(p, ours.url, 'indexes'),
      theirIndexes: referee(p, theirs.url, 'indexes'),
      graph: referee(p, ours.url, 'graph'),
      theirGraph: referee(p, theirs.url, 'graph'),
    };
  } finally {
    await ours.drop();
    await theirs.drop();
  }
}

/** Statements MikroORM wants on tidemark's database that it does not also want on its own. */
const extra = (r: { wanted: string[]; selfWanted: string[] }) => r.wanted.filter((s) => !r.selfWanted.includes(s));

const table: string[] = [];
const projects: TestProject[] = [];
afterAll(() => {
  projects.forEach((p) => p.dispose());
  // The oracle table of the issue, in the test log.
  if (table.length) console.log(`fixture × dialect → statements MikroORM still wants\n${table.join('\n')}`);
});

function project(): TestProject {
  const p = new TestProject();
  projects.push(p);
  return p;
}

for (const kind of KINDS) {
  const skip = kind === 'sqlite' ? undefined : await unavailable(kind);
  describe.skipIf(Boolean(skip))(`MikroORM agrees with tidemark on ${kind}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    it.each(FIXTURES)('%s: generated once, applied, nothing left for MikroORM to change', async (fixture) => {
      const p = project();
      cpSync(join(ROOT, 'test/fixtures/oracle', fixture), join(p.dir, 'entities'), { recursive: true });
      p.ok(['gen-migration', '-m', fixture], NOW);
      const r = await judge(p, kind, (url) => p.ok(['migrate', 'up', '--url', url]));
      table.push(`${fixture.padEnd(10)} ${kind.padEnd(11)} wants ${r.wanted.length}, beyond what it wants on its own database: ${extra(r).length} (on its own: ${r.selfWanted.length})`);
      expect(extra(r), `MikroORM's getUpdateSchemaSQL() on ${kind}`).toEqual([]);
      expect(r.indexes, 'indexes as MikroORM reads them').toEqual(r.theirIndexes);
      expect(r.graph, 'an EntityManager graph read back').toEqual(r.theirGraph);
      expect(Object.keys(r.graph as object).length).toBeGreaterThan(0);
    });

    it('comments and checks that change: applied, reverted, applied again', async () => {
      const p = project();
      const note = (comment: string, check: string, column: string) =>
        `import { Check, Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';\n\n@Entity({ comment: ${JSON.stringify(comment)} })\n@Check({ name: 'note_size_check', expression: '${check}' })\nexport class Note {\n  @PrimaryKey()\n  id!: number;\n\n  @Property({ comment: '${column}' })\n  size!: number;\n}\n`;
      p.write('entities/Note.ts', note('first', 'size > 0', 'bytes'));
      p.ok(['gen-migration', '-m', 'notes'], { TIDEMARK_NOW: '2026-02-01T10:00:00Z' });
      p.write('entities/Note.ts', note("what's kept", 'size >= 0', 'bytes, rounded'));
      p.ok(['gen-migration', '-m', 'notes changed'], { TIDEMARK_NOW: '2026-02-02T10:00:00Z' });
      const second = p.read(`migrations/${p.migrations()[1]}`);
      expect(second).toContain(`this.commentTable('note', 'what\\'s kept');`);
      expect(second).toContain(`this.dropCheck('note', 'note_size_check');`);
      expect(second).toContain(`this.addCheck('note', 'note_size_check', 'size >= 0');`);
      const r = await judge(p, kind, (url) => {
        p.ok(['migrate', 'up', '--url', url]);
        p.ok(['migrate', 'down', '--url', url]);
        p.ok(['migrate', 'up', '--url', url]);
      });
      table.push(`${'changes'.padEnd(10)} ${kind.padEnd(11)} wants ${r.wanted.length}, beyond what it wants on its own database: ${extra(r).length} (on its own: ${r.selfWanted.length})`);
      expect(extra(r), `MikroORM's getUpdateSchemaSQL() on ${kind}`).toEqual([]);
    });

    it('an evolution of four steps, then down to base and up again', async () => {
      const p = project();
      const steps = [
        { version: 'v1', message: 'authors and books' },
        { version: 'v2', message: 'tags, author age, title index' },
        { version: 'v3', message: 'publishers, wider names, nullable price' },
        { version: 'v4', message: 'drop tags and bio, rename publisher and email', extra: ['--rename', 'publisher=press', '--rename', 'author.email=contact_email', '--allow-destructive'] },
      ];
      steps.forEach((step, i) => {
        p.remove('entities');
        const dir = join(ROOT, 'test/fixtures/evolution', step.version);
        for (const f of readdirSync(dir)) cpSync(join(dir, f), join(p.dir, 'entities', f));
        p.ok(['gen-migration', '-m', step.message, ...(step.extra ?? [])], { TIDEMARK_NOW: `2026-02-0${i + 1}T10:00:00Z` });
      });
      const r = await judge(p, kind, (url) => {
        p.ok(['migrate', 'up', '--url', url]);
        p.ok(['migrate', 'down', '--to', 'base', '--url', url]);
        p.ok(['migrate', 'up', '--url', url]);
      });
      table.push(`${'evolution'.padEnd(10)} ${kind.padEnd(11)} wants ${r.wanted.length}, beyond what it wants on its own database: ${extra(r).length} (on its own: ${r.selfWanted.length})`);
      expect(extra(r), `MikroORM's getUpdateSchemaSQL() on ${kind}`).toEqual([]);
      expect(r.indexes).toEqual(r.theirIndexes);
    });
  });
}

const pgSkip = await unavailable('postgresql');
describe.skipIf(Boolean(pgSkip))('postgresql.identity: the documented alternative to serial', () => {
  it('makes autoincrement keys identity columns, which MikroORM then wants to turn back into serial', async () => {
    const p = new TestProject(`import { defineConfig } from 'tidemark';\n\nexport default defineConfig({\n  entities: ['./entities/*.ts'],\n  migrations: './migrations',\n  postgresql: { identity: true },\n});\n`);
    projects.push(p);
    cpSync(join(ROOT, 'test/fixtures/oracle/shop'), join(p.dir, 'entities'), { recursive: true });
    p.ok(['gen-migration', '-m', 'shop'], NOW);
    const db = await freshDatabase('postgresql');
    try {
      p.ok(['migrate', 'up', '--url', db.url]);
      const sql = p.ok(['migrate', 'up', '--sql', '--dialect', 'postgresql']);
      expect(sql).toContain('"id" int generated by default as identity not null primary key');
      // (the version table is MikroORM's own, declared by its platform)
      expect(sql.split('\n').filter((l) => /serial/.test(l) && !l.includes('tidemark_migrations'))).toEqual([]);
      const wanted = referee(p, db.url, 'update') as string[];
      expect(wanted).toContain('alter table "customer" add "id" serial primary key;');
    } finally {
      await db.drop();
    }
  });
});
