import { afterAll, describe, expect, it } from 'vitest';
import { migrateUp, verifyMigrations } from '../../src/api.ts';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { TestProject } from '../e2e/project.ts';
import { trialDatabase } from './runner-fixtures.ts';
import { unavailable, type ServerKind } from './servers.ts';

/**
 * Long histories and big schemas (issue 12, "Long histories"): verify reads back only what each
 * step touched, yet still names the step at fault, including for changes its operations do not
 * name; a PostgreSQL batch is cut below the server's lock table, and a migration that cannot fit
 * is refused before anything runs. Times are the benchmark's business (bench/scale.mjs), not
 * asserted here.
 */

const CONFIG = `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({ entities: [], migrations: './migrations' });\n`;
const inputs = (p: TestProject, url: string) => ({ inline: { entities: [], migrations: './migrations' }, cwd: p.dir, url });

const id = (i: number, slug: string) => `202605${String(10 + Math.floor(i / 1440)).padStart(2, '0')}${String(Math.floor((i % 1440) / 60)).padStart(2, '0')}${String(i % 60).padStart(2, '0')}00_${slug}`;

function source(name: string, me: string, parent: string | undefined, up: string[], down: string[], extra = ''): string {
  return `import { TidemarkMigration } from 'tidemark';

export class ${name} extends TidemarkMigration {
  static override readonly id = '${me}';
  static override readonly parents = [${parent ? `'${parent}'` : ''}];
${extra}
  override up(): void {
${up.map((l) => `    ${l}`).join('\n')}
  }

  override down(): void {
${down.map((l) => `    ${l}`).join('\n')}
  }
}
`;
}

/** Migration i of a cycle: create h{k} (a foreign key to the one before), add c{k}, index it, widen it (a rebuild on SQLite). */
function step(i: number): { slug: string; up: string[]; down: string[] } {
  const k = Math.floor(i / 4);
  const t = `h${k}`;
  switch (i % 4) {
    case 0:
      return {
        slug: `create_${t}`,
        up: [
          `this.createTable('${t}', (t) => {`,
          `  t.column('id', { type: 'integer', primary: true, autoincrement: true });`,
          `  t.column('name', { type: 'string', length: 100 });`,
          ...(k > 0 ? [`  t.column('parent_id', { type: 'integer', nullable: true });`, `  t.foreignKey('${t}_parent_id_foreign', ['parent_id'], 'h${k - 1}', ['id'], { onDelete: 'set null' });`] : []),
          `});`,
        ],
        down: [`this.dropTable('${t}');`],
      };
    case 1:
      return { slug: `add_${t}_c${k}`, up: [`this.addColumn('${t}', 'c${k}', { type: 'integer', nullable: true });`], down: [`this.dropColumn('${t}', 'c${k}');`] };
    case 2:
      return { slug: `index_${t}_c${k}`, up: [`this.createIndex('${t}', '${t}_c${k}_index', ['c${k}']);`], down: [`this.dropIndex('${t}', '${t}_c${k}_index');`] };
    default:
      return {
        slug: `widen_${t}_c${k}`,
        up: [`this.alterColumn('${t}', 'c${k}', { type: 'bigint', nullable: true });`],
        down: [`this.alterColumn('${t}', 'c${k}', { type: 'integer', nullable: true });`],
      };
  }
}

/** A chain of `n` migrations; `edit(i, m)` may change migration i. Returns the ids. */
function writeHistory(p: TestProject, n: number, edit: (i: number, m: { up: string[]; down: string[]; extra?: string }) => void = () => {}): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const m: { slug: string; up: string[]; down: string[]; extra?: string } = step(i);
    edit(i, m);
    const me = id(i, m.slug);
    p.write(`migrations/${me}.ts`, source(`M${i}`, me, ids.at(-1), m.up, m.down, m.extra));
    ids.push(me);
  }
  return ids;
}

/** One migration creating `tables` wide tables (as bench/schema.mjs's), or several of `per` tables each. */
function writeTables(p: TestProject, tables: number, per = tables): string[] {
  const ids: string[] = [];
  for (let first = 0, m = 0; first < tables; first += per, m++) {
    const up: string[] = [];
    const down: string[] = [];
    for (let i = first; i < Math.min(tables, first + per); i++) {
      up.push(
        `this.createTable('t${i}', (t) => {`,
        `  t.column('id', { type: 'integer', primary: true, autoincrement: true });`,
        `  t.column('name', { type: 'string', length: 255 });`,
        `  t.column('description', { type: 'text' });`,
        `  t.column('price', { type: 'decimal', precision: 10, scale: 2 });`,
        `  t.index('idx_t${i}_name', ['name']);`,
        `});`,
      );
      down.unshift(`this.dropTable('t${i}');`);
    }
    const me = id(m, `tables_${first}`);
    p.write(`migrations/${me}.ts`, source(`T${m}`, me, ids.at(-1), up, down));
    ids.push(me);
  }
  return ids;
}

async function query(url: string, dir: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await openDatabase(parseDatabaseUrl(url, dir, 'test'), 'tidemark_migrations', [], dir);
  try {
    return await db.execute(sql);
  } finally {
    await db.close();
  }
}

const targets: DialectName[] = ['sqlite', 'postgresql', 'mariadb'];
for (const target of targets) {
  const skip = target === 'sqlite' ? undefined : await unavailable(target as ServerKind);
  describe.skipIf(Boolean(skip))(`verify over a long history on ${target}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanups: (() => unknown)[] = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c();
    });
    async function project() {
      const p = new TestProject(CONFIG);
      cleanups.push(() => p.dispose());
      if (target === 'sqlite') return { p, scratch: undefined };
      const db = await trialDatabase(target, p);
      cleanups.push(db.drop);
      return { p, scratch: db.url };
    }
    const verify = (p: TestProject, scratch: string | undefined) => verifyMigrations({ inline: { entities: [], migrations: './migrations' }, cwd: p.dir, scratchUrl: scratch });

    it('passes a good history, and names the one down() of 40 that does not undo its up()', async () => {
      const { p, scratch } = await project();
      const ids = writeHistory(p, 40);
      expect(await verify(p, scratch)).toEqual({ ok: true, checked: ids });
      // Another project (this process has the first one's files loaded): migration 25 adds
      // h6.c6, and its down forgets to drop it.
      const other = await project();
      writeHistory(other.p, 40, (i, m) => {
        if (i === 25) m.down = [`this.sql('select 1');`];
      });
      const report = await verify(other.p, other.scratch);
      expect(report.failure).toEqual({ id: ids[25], step: 'down', message: 'down() does not undo up(): column h6.c6 should not exist' });
    });

    it('finds what hand-written SQL changed, at its step', async () => {
      const { p, scratch } = await project();
      const ids = writeHistory(p, 12, (i, m) => {
        if (i === 9) m.up.push(`this.sql('alter table h0 add column stray integer');`);
      });
      const report = await verify(p, scratch);
      expect(report.failure).toEqual({ id: ids[9], step: 'up', message: 'the schema after up() is not the one the history says: column h0.stray should not exist' });
    });

    it('finds a change no operation names (a data step altering another table) after the pass', async () => {
      const { p, scratch } = await project();
      const ids = writeHistory(p, 12, (i, m) => {
        if (i === 9) m.up.push(`this.data(async (db) => { await db.execute('alter table h0 add column sneaky integer'); });`);
      });
      const report = await verify(p, scratch);
      expect(report.failure).toEqual({ id: ids.at(-1), step: 'up', message: 'the schema after up() is not the one the history says: column h0.sneaky should not exist (seen after the whole up pass)' });
    });
  });
}

const pgSkip = await unavailable('postgresql');
describe.skipIf(Boolean(pgSkip))(`PostgreSQL's lock table${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  async function project() {
    const p = new TestProject(CONFIG);
    cleanups.push(() => p.dispose());
    const db = await trialDatabase('postgresql', p);
    cleanups.push(db.drop);
    return { p, url: db.url };
  }
  const tables = (p: TestProject, url: string) => query(url, p.dir, `select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name ~ '^t[0-9]+$'`);

  it('a 2,000-table migration that cannot fit in one transaction is refused before anything runs, with the ways out', async () => {
    const { p, url } = await project();
    const [only] = writeTables(p, 2000);
    const failure = await migrateUp(inputs(p, url)).catch((e: unknown) => e as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(
      new RegExp(`^migration ${only} locks about \\d+ objects on PostgreSQL in one transaction, more than the server's lock table holds \\(max_locks_per_transaction \\d+ × \\d+ server processes = \\d+\\); nothing was applied: raise max_locks_per_transaction`),
    );
    expect((failure as Error).message).toContain(`'static override readonly transactional = false'`);
    expect(await tables(p, url)).toEqual([{ n: 0 }]);
    expect(await query(url, p.dir, 'select count(*)::int as n from tidemark_migrations')).toEqual([{ n: 0 }]);
  });

  // About a minute on a 2-core machine: opt in (the benchmark, bench/scale.mjs, runs it too).
  const full = process.env.TIDEMARK_SCALE_TESTS === '1';
  it.skipIf(!full)(`2,000 tables in 20 migrations apply in several transactions, each below the limit${full ? '' : ' (skipped: set TIDEMARK_SCALE_TESTS=1)'}`, async () => {
    const { p, url } = await project();
    const ids = writeTables(p, 2000, 100);
    const result = await migrateUp(inputs(p, url));
    expect(result.ran).toEqual(ids);
    expect(result.status.notices.find((n) => n.startsWith('20 migrations ran as '))).toMatch(/^20 migrations ran as \d+ transactions instead of one, each below PostgreSQL's lock limit/);
    expect(await tables(p, url)).toEqual([{ n: 2000 }]);
  }, 300_000);
});
