import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkProject, historyGraph, migrateDown, migrateUp, migrationStatus, squashMigrations, verifyMigrations } from '../../src/api.ts';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { introspect } from '../../src/introspect/introspect.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { ROOT, TestProject } from '../e2e/project.ts';
import { migration, trialDatabase } from './runner-fixtures.ts';
import { unavailable, type ServerKind } from './servers.ts';

/**
 * `tidemark squash --to <id>` on databases at every point of the squashed range and past it:
 * after the squash every one of them reaches the head with `migrate up` and its live schema is
 * the history's; with the replaced files deleted the same holds, a fresh database runs the
 * squash alone, and one that applied only part of the range is refused with the way out.
 */
const ID = ['20260501000001_authors', '20260501000002_books', '20260501000003_author_bio', '20260501000004_book_pages', '20260501000005_reviews'];
const BODIES = [
  `    this.createTable('author', (t) => {
      t.column('id', { type: 'integer', primary: true });
      t.column('name', { type: 'string', length: 80 });
    });`,
  `    this.createTable('book', (t) => {
      t.column('id', { type: 'integer', primary: true });
      t.column('title', { type: 'string', length: 100 });
      t.column('author_id', { type: 'integer' });
      t.index('book_author_id_index', ['author_id']);
      t.foreignKey('book_author_id_foreign', ['author_id'], 'author', ['id'], { onDelete: 'cascade' });
    });`,
  `    this.addColumn('author', 'bio', { type: 'text', nullable: true });
    this.sql("insert into author (id, name) values (1, 'seed')");`,
  `    this.addColumn('book', 'pages', { type: 'integer', nullable: true });
    this.renameColumn('book', 'title', 'heading');
    this.createIndex('book', 'book_heading_index', ['heading']);`,
  `    this.createTable('review', (t) => {
      t.column('id', { type: 'integer', primary: true });
      t.column('book_id', { type: 'integer' });
      t.foreignKey('review_book_id_foreign', ['book_id'], 'book', ['id']);
    });`,
];
const DOWNS = [
  `    this.dropTable('author');`,
  `    this.dropTable('book');`,
  `    this.dropColumn('author', 'bio');`,
  `    this.dropIndex('book', 'book_heading_index');
    this.renameColumn('book', 'heading', 'title');
    this.dropColumn('book', 'pages');`,
  `    this.dropTable('review');`,
];
const file = (i: number) => `import { TidemarkMigration } from 'tidemark';

export class M${ID[i]!.slice(0, 14)} extends TidemarkMigration {
  static override readonly id = '${ID[i]}';
  static override readonly parents = ${JSON.stringify(i ? [ID[i - 1]] : [])};

  override up(): void {
${BODIES[i]}
  }

  override down(): void {
${DOWNS[i]}
  }
}
`;
const NOW = new Date('2026-06-01T00:00:00Z');
const SQUASH = '20260601000000_squash_book_pages';

function writeHistory(p: TestProject): void {
  ID.forEach((id, i) => p.write(`migrations/${id}.ts`, file(i)));
}

async function versionRows(dir: string, url: string): Promise<string[]> {
  const db = await openDatabase(parseDatabaseUrl(url, dir, 'test'), 'tidemark_migrations', [], dir);
  try {
    return (await db.execute('select name from tidemark_migrations order by id')).map((r) => String(r.name));
  } catch (error) {
    // A database nothing ran on has no version table.
    if (/no such table|does not exist|doesn't exist/i.test(String((error as Error).message))) return [];
    throw error;
  } finally {
    await db.close();
  }
}

async function liveTables(dir: string, url: string, dialect: DialectName): Promise<string[]> {
  const db = await openDatabase(parseDatabaseUrl(url, dir, 'test'), 'tidemark_migrations', [], dir);
  try {
    return (await introspect((sql, params) => db.execute(sql, params), dialect, ['tidemark_migrations', 'tidemark_migrations_lock'])).tables.map((t) => t.name).filter((t) => !t.startsWith('tidemark_')).sort();
  } finally {
    await db.close();
  }
}

const targets: { name: DialectName; server?: ServerKind }[] = [{ name: 'sqlite' }, { name: 'postgresql', server: 'postgresql' }, { name: 'mariadb', server: 'mariadb' }];

for (const target of targets) {
  const skip = target.server ? await unavailable(target.server) : undefined;
  describe.skipIf(Boolean(skip))(`squash on ${target.name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanup: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
      for (const c of cleanup.reverse()) await c();
    });
    const database = async (p: TestProject, name: string) => {
      const db = await trialDatabase(target.name, p, name);
      cleanup.push(db.drop);
      return db.url;
    };
    const inputs = (p: TestProject, url?: string) => ({ inline: { entities: [], migrations: './migrations' }, cwd: p.dir, ...(url ? { url } : {}) });

    /** At the head, nothing pending, and the live schema is the one its applied migrations make. */
    async function atHead(p: TestProject, url: string, head: string[]) {
      const status = await migrationStatus(inputs(p, url));
      expect(status.pending).toEqual([]);
      expect(status.current).toEqual([ID[4]]);
      expect(status.applied.map((a) => a.id)).toEqual(head);
      expect(status.driftError).toBeUndefined();
      expect(status.drift).toEqual([]);
      expect(status.notices.filter((n) => n.startsWith('problem'))).toEqual([]);
      expect(await liveTables(p.dir, url, target.name)).toEqual(['author', 'book', 'review']);
    }

    it('databases at every point of the range and past it reach the head, before and after the replaced files are deleted', async () => {
      const p = new TestProject(null as never);
      cleanup.push(() => p.dispose());
      writeHistory(p);
      // Point k: the first k migrations applied (0: a fresh database; 5: past the range).
      const at: string[] = [];
      const late: string[] = [];
      for (let k = 0; k <= 5; k++) {
        const url = await database(p, `at${k}`);
        if (k) await migrateUp({ ...inputs(p, url), to: ID[k - 1] });
        at.push(url);
        // The same points, left alone until the replaced files are gone.
        const other = await database(p, `late${k}`);
        if (k) await migrateUp({ ...inputs(p, other), to: ID[k - 1] });
        late.push(other);
      }
      const rowsBefore = await Promise.all(at.map((url) => versionRows(p.dir, url)));

      const squashed = await squashMigrations({ ...inputs(p), to: ID[3]!, now: () => NOW });
      expect(squashed.id).toBe(SQUASH);
      expect(squashed.replaces).toEqual(ID.slice(0, 4));
      expect(squashed.notCarried.map((n) => n.id)).toEqual([ID[2]]);
      const code = p.read(`migrations/${SQUASH}.ts`);
      expect(code).toContain(`static override readonly replaces = ['${ID.slice(0, 4).join("', '")}'];`);
      expect(code).toContain('static override readonly parents = [];');
      // Offline, the squash stands where its migrations stood.
      expect((await historyGraph({ ...inputs(p), offline: true })).migrations.map((m) => m.id)).toEqual([ID[4], SQUASH]);

      for (let k = 0; k <= 5; k++) {
        // Recognised, no row changed: status before any run.
        const before = await migrationStatus(inputs(p, at[k]));
        if (k >= 4) expect(before.applied.map((a) => a.id)).toEqual(k === 5 ? [SQUASH, ID[4]] : [SQUASH]);
        else if (k > 0) expect(before.applied.map((a) => a.id)).toEqual(ID.slice(0, k));
        expect(await versionRows(p.dir, at[k]!)).toEqual(rowsBefore[k]);
        await migrateUp(inputs(p, at[k]));
        // Fresh: the squash alone; partly applied: the rest of the old files, then all of them count as the squash.
        await atHead(p, at[k]!, [SQUASH, ID[4]!]);
        const rows = await versionRows(p.dir, at[k]!);
        expect(rows).toEqual(k === 0 ? [SQUASH, ID[4]] : ID);
        const graph = await historyGraph(inputs(p, at[k]));
        expect(graph.note).toBeUndefined();
        expect(graph.migrations.every((m) => m.applied)).toBe(true);
      }
      // No entities here: only what check says about the history and the database counts.
      const problems = async (url: string) => (await checkProject(inputs(p, url))).problems.filter((x) => x.code !== 'uncaptured-changes');
      expect(await problems(at[1]!)).toEqual([]);
      expect((await verifyMigrations(inputs(p))).ok).toBe(true);

      // Every database is past the range: the replaced files go.
      for (const id of ID.slice(0, 4)) p.remove(`migrations/${id}.ts`);
      for (let k = 0; k <= 5; k++) {
        await migrateUp(inputs(p, at[k]));
        await atHead(p, at[k]!, [SQUASH, ID[4]!]);
      }
      expect(await problems(at[5]!)).toEqual([]);
      expect((await verifyMigrations(inputs(p))).ok).toBe(true);
      const fresh = await database(p, 'fresh');
      await migrateUp(inputs(p, fresh));
      await atHead(p, fresh, [SQUASH, ID[4]!]);
      // Databases that never saw the squash: at base or past the range they carry on; part-way through, they are refused.
      for (let k = 0; k <= 5; k++) {
        if (k === 0 || k >= 4) {
          await migrateUp(inputs(p, late[k]));
          await atHead(p, late[k]!, [SQUASH, ID[4]!]);
          continue;
        }
        const rows = await versionRows(p.dir, late[k]!);
        await expect(migrateUp(inputs(p, late[k]))).rejects.toThrow(
          new RegExp(`applied ${ID.slice(0, k).join(', ')} but not all of the 4 migrations squashed into ${SQUASH} .*restore them .*migrate up.*then delete them again`),
        );
        expect(await versionRows(p.dir, late[k]!)).toEqual(rows);
        expect((await migrationStatus(inputs(p, late[k]))).notices.join('\n')).toMatch(/^problem: .*squashed into/m);
      }

      // Down over the squash: on a database that recorded the replaced migrations, and on a fresh one.
      for (const url of [at[4]!, fresh]) {
        await migrateDown({ ...inputs(p, url), to: 'base' });
        expect(await versionRows(p.dir, url)).toEqual([]);
        expect(await liveTables(p.dir, url, target.name)).toEqual([]);
        await migrateUp(inputs(p, url));
        await atHead(p, url, [SQUASH, ID[4]!]);
      }
    });

    // Which spelling a database sees is history logic, the same on every dialect: MariaDB (the slowest
    // server to create databases on) runs the cases whose DDL differs, SQLite and PostgreSQL the rest.
    const historyOnly = target.name === 'mariadb' ? () => {} : it;

    historyOnly('a squash of a squash: databases that recorded the oldest files, the first squash, or the second all carry on', async () => {
      const p = new TestProject(null as never);
      cleanup.push(() => p.dispose());
      writeHistory(p);
      const old = await database(p, 'nested_old');
      await migrateUp(inputs(p, old));
      const first = await squashMigrations({ ...inputs(p), to: ID[1]!, now: () => NOW });
      for (const id of ID.slice(0, 2)) p.remove(`migrations/${id}.ts`);
      const viaFirst = await database(p, 'nested_first');
      await migrateUp(inputs(p, viaFirst));
      expect(await versionRows(p.dir, viaFirst)).toEqual([first.id, ...ID.slice(2)]);
      const partial = await database(p, 'nested_partial');
      await migrateUp({ ...inputs(p, partial), to: first.id });

      const second = await squashMigrations({ ...inputs(p), to: ID[3]!, now: () => new Date('2026-06-02T00:00:00Z') });
      expect(second.replaces).toEqual([...ID.slice(0, 2), first.id, ...ID.slice(2, 4)]);
      // With the first squash's file and those after it still there, the partly applied one carries on with them.
      await migrateUp(inputs(p, partial));
      await atHead(p, partial, [second.id, ID[4]!]);
      for (const id of [first.id, ...ID.slice(2, 4)]) p.remove(`migrations/${id}.ts`);
      const fresh = await database(p, 'nested_fresh');
      for (const url of [old, viaFirst, partial, fresh]) {
        await migrateUp(inputs(p, url));
        await atHead(p, url, [second.id, ID[4]!]);
      }
      expect(await versionRows(p.dir, fresh)).toEqual([second.id, ID[4]]);
      // Down past the second squash forgets every row it stands for, the oldest files' included.
      for (const url of [old, viaFirst]) {
        await migrateDown({ ...inputs(p, url), to: 'base' });
        expect(await versionRows(p.dir, url)).toEqual([]);
        expect(await liveTables(p.dir, url, target.name)).toEqual([]);
      }
    });

    // Issue 12 review: a migration written after `squash --to head` names the squash as its parent.
    historyOnly('after squash --to head and a migration on top: a database part-way through carries on, a replaced id as --to names its squash', async () => {
      const p = new TestProject(null as never);
      cleanup.push(() => p.dispose());
      ID.slice(0, 3).forEach((id, i) => p.write(`migrations/${id}.ts`, file(i)));
      const partial = await database(p, 'ontop_partial');
      await migrateUp({ ...inputs(p, partial), to: ID[0] });
      const upToSquash = await database(p, 'ontop_to');
      await migrateUp({ ...inputs(p, upToSquash), to: ID[0] });
      const squash = (await squashMigrations({ ...inputs(p), to: 'head', now: () => NOW })).id;
      const next = '20260602000000_editions';
      p.write(
        `migrations/${next}.ts`,
        migration(next, [squash], `    this.createTable('edition', (t) => {\n      t.column('id', { type: 'integer', primary: true });\n    });`, `\n  static override readonly branchLabels = ['library'];`).replace(
          /(down\(\): void \{)/,
          "$1\n    this.dropTable('edition');",
        ),
      );
      // A branch of its own that needs the squash's tables.
      const billing = '20260602000001_billing';
      p.write(`migrations/${billing}.ts`, migration(billing, [], `    this.sql('select count(*) from book');`, `\n  static override readonly branchLabels = ['billing'];\n  static override readonly dependsOn = ['${squash}'];`));

      // Part-way through: the old files, then the migrations on top, which follow the last of them.
      const status = await migrationStatus(inputs(p, partial));
      expect(status.pending).toEqual([...ID.slice(1, 3), next, billing]);
      await migrateUp(inputs(p, partial));
      expect(await versionRows(p.dir, partial)).toEqual([...ID.slice(0, 3), next, billing]);
      expect((await migrationStatus(inputs(p, partial))).current.sort()).toEqual([next, billing]);
      // Up to the squash on such a database: up to its last migration, the same stretch.
      await migrateUp({ ...inputs(p, upToSquash), to: squash });
      expect(await versionRows(p.dir, upToSquash)).toEqual(ID.slice(0, 3));

      const fresh = await database(p, 'ontop_fresh');
      await migrateUp(inputs(p, fresh));
      expect(await versionRows(p.dir, fresh)).toEqual([squash, next, billing]);
      // A replaced id is no stopping point: refused naming the squash, nothing reverted.
      for (const url of [partial, fresh]) {
        await expect(migrateDown({ ...inputs(p, url), to: ID[1] })).rejects.toThrow(`--to ${ID[1]}: ${ID[1]} is part of squash ${squash}, which is applied and reverted only as a whole`);
      }
      await expect(migrateUp({ ...inputs(p, upToSquash), to: 'books' })).rejects.toThrow(`${ID[1]} is part of squash ${squash}`);
      expect(await versionRows(p.dir, fresh)).toEqual([squash, next, billing]);
      // Plain down steps: the migrations on top, then the whole squash.
      for (let i = 0; i < 3; i++) await migrateDown(inputs(p, fresh));
      expect(await versionRows(p.dir, fresh)).toEqual([]);
      expect(await liveTables(p.dir, fresh, target.name)).toEqual([]);
    });

    it('migrate down over the squash on a fresh database, with the replaced files still there', async () => {
      const p = new TestProject(null as never);
      cleanup.push(() => p.dispose());
      writeHistory(p);
      await squashMigrations({ ...inputs(p), to: ID[3]!, now: () => NOW });
      const url = await database(p, 'down');
      await migrateUp(inputs(p, url));
      expect(await versionRows(p.dir, url)).toEqual([SQUASH, ID[4]]);
      const down = await migrateDown({ ...inputs(p, url), to: 'base' });
      expect(down.ran).toEqual([ID[4], SQUASH]);
      expect(await versionRows(p.dir, url)).toEqual([]);
      expect(await liveTables(p.dir, url, target.name)).toEqual([]);
    });
  });
}

describe('squash refusals', () => {
  it('across unmerged branches: one line naming the branch, exit code 1, no file written', () => {
    const p = new TestProject(null as never);
    try {
      p.write('tidemark.config.ts', `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({\n  entities: [],\n  migrations: './migrations',\n});\n`);
      p.write(`migrations/${ID[0]}.ts`, migration(ID[0]!, [], BODIES[0]!));
      p.write(`migrations/${ID[1]}.ts`, migration(ID[1]!, [ID[0]!], BODIES[1]!));
      p.write(`migrations/20260501000009_side.ts`, migration('20260501000009_side', [ID[0]!], `    this.addColumn('author', 'nick', { type: 'string', nullable: true });`));
      const before = p.migrations();
      const r = p.run(['squash', '--to', ID[1]!]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`the history branches inside the range (20260501000009_side follows ${ID[0]})`);
      expect(p.migrations()).toEqual(before);
      // Squashing the stretch before the branch point is fine: the branch follows its last migration.
      const ok = p.run(['squash', '--to', ID[0]!]);
      expect(ok.code).toBe(1);
      expect(ok.stderr).toContain('is the first migration, there is nothing to squash');
    } finally {
      p.dispose();
    }
  });

  it('a merge inside the range is squashed; a dependsOn into the range from another branch is refused; the CLI names what is not carried', () => {
    const p = new TestProject(null as never);
    try {
      p.write('tidemark.config.ts', `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({\n  entities: [],\n  migrations: './migrations',\n});\n`);
      const side = '20260501000009_side';
      const merged = '20260501000010_merge';
      const later = '20260501000011_later';
      p.write(`migrations/${ID[0]}.ts`, file(0));
      p.write(`migrations/${ID[1]}.ts`, file(1));
      p.write(`migrations/${side}.ts`, migration(side, [ID[0]!], `    this.addColumn('author', 'nick', { type: 'string', nullable: true });\n    this.sql('update author set nick = name');`, `\n  static override readonly branchLabels = ['sidecar'];`));
      p.write(`migrations/${merged}.ts`, migration(merged, [ID[1]!, side], ''));
      // A second base that needs a migration inside the range: the squash would cut it off.
      const billing = '20260501000012_billing';
      p.write(`migrations/${billing}.ts`, migration(billing, [], `    this.sql('select 1');`, `\n  static override readonly branchLabels = ['billing'];\n  static override readonly dependsOn = ['${side}'];`));
      const refused = p.run(['squash', '--to', merged]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toContain(`(${billing} follows ${side})`);
      p.remove(`migrations/${billing}.ts`);
      // After the last one, naming a migration of the range again means the squash.
      p.write(`migrations/${later}.ts`, migration(later, [merged], `    this.sql('select 2');`, `\n  static override readonly dependsOn = ['${side}'];`));
      const ok = p.run(['squash', '--to', merged, '-m', 'squash all', '--json'], { TIDEMARK_NOW: '2026-06-01T00:00:00Z' });
      expect(ok.code).toBe(0);
      const doc = JSON.parse(ok.stdout);
      expect(doc).toMatchObject({ command: 'squash', id: '20260601000000_squash_all', replaces: [ID[0], ID[1], side, merged] });
      expect(doc.notCarried).toEqual([{ id: side, file: `migrations/${side}.ts`, steps: 1 }]);
      expect(p.read('migrations/20260601000000_squash_all.ts')).toContain(` * Not carried over (hand-written SQL and data steps; a fresh database will not run them):\n * - ${side}: 1 step(s)\n`);
      expect(p.ok(['migrate', 'heads'])).toContain(later);
      // The range's branch label moves to the squash; both files in the folder do not clash.
      expect(p.read('migrations/20260601000000_squash_all.ts')).toContain(`static override readonly branchLabels = ['sidecar'];`);
      p.ok(['migrate', 'up', '--quiet', '--to', 'sidecar@head', '--url', 'sqlite:./labels.db']);
      expect(p.ok(['migrate', 'current', '--url', 'sqlite:./labels.db']).trim()).toBe(later);
    } finally {
      p.dispose();
    }
  });

  it('a replaced id given to migrate down --to, up --to, show or history -r: one line naming its squash, exit code 1, nothing run', () => {
    const p = new TestProject(null as never);
    try {
      p.write('tidemark.config.ts', `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({\n  entities: [],\n  migrations: './migrations',\n});\n`);
      ID.slice(0, 3).forEach((id, i) => p.write(`migrations/${id}.ts`, file(i)));
      p.ok(['squash', '--to', 'head'], { TIDEMARK_NOW: '2026-06-01T00:00:00Z' });
      const squash = '20260601000000_squash_author_bio';
      const url = 'sqlite:./replaced.db';
      p.ok(['migrate', 'up', '--quiet', '--url', url]);
      for (const args of [['migrate', 'down', '--to', ID[1]!, '--url', url], ['migrate', 'up', '--to', 'books', '--url', url], ['show', ID[1]!], ['history', '-r', `${ID[1]!}:`, '--url', url]]) {
        const r = p.run(args);
        expect(r.code).toBe(1);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toContain(`${ID[1]} is part of squash ${squash}, which is applied and reverted only as a whole: name ${squash}, or the migration before it`);
      }
      expect(p.ok(['migrate', 'current', '--url', url]).trim()).toBe(squash);
    } finally {
      p.dispose();
    }
  });

  it('the generated squash is a snapshot', async () => {
    const p = new TestProject(null as never);
    try {
      writeHistory(p);
      await squashMigrations({ inline: { entities: [], migrations: './migrations' }, cwd: p.dir, to: ID[3]!, now: () => NOW });
      await expect(readFileSync(join(p.dir, 'migrations', `${SQUASH}.ts`), 'utf8')).toMatchFileSnapshot('../snapshots/squash.ts');
    } finally {
      p.dispose();
    }
  });
});

/** Entity sets, one per step of a history generated the way a team grows it. */
const entity = (name: string, fields: string, imports = '') => `import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
${imports}
@Entity()
export class ${name} {
  @PrimaryKey()
  id!: number;

${fields}
}
`;
const AUTHOR_V1 = entity('Author', `  @Property()\n  name!: string;`);
const AUTHOR_V2 = entity('Author', `  @Property()\n  name!: string;\n\n  @Property({ nullable: true })\n  bio?: string;`);
const BOOK_V1 = entity('Book', `  @Property()\n  title!: string;\n\n  @ManyToOne(() => Author)\n  author!: Author;`, `import { Author } from './Author.js';\n`);
const BOOK_V2 = entity('Book', `  @Index()\n  @Property()\n  title!: string;\n\n  @Property({ nullable: true })\n  pages?: number;\n\n  @ManyToOne(() => Author)\n  author!: Author;`, `import { Author } from './Author.js';\n`);
const REVIEW = entity('Review', `  @Property()\n  stars!: number;\n\n  @ManyToOne(() => Book)\n  book!: Book;`, `import { Book } from './Book.js';\n`);

const REFEREE = join(ROOT, 'test/db/oracle/referee.ts');
/** What MikroORM, given the entities, still wants to change on `url` (empty: the schema is the entities'). */
function refereeWants(p: TestProject, url: string): string[] {
  const r = spawnSync(process.execPath, [REFEREE, p.dir, url, 'update'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`referee on ${url} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

for (const target of targets) {
  const skip = target.server ? await unavailable(target.server) : undefined;
  describe.skipIf(Boolean(skip))(`squash of a generated history on ${target.name}, MikroORM as the referee${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanup: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
      for (const c of cleanup.reverse()) await c();
    });

    it('every point of the range and past it, before and after the replaced files are deleted: MikroORM wants no change', async () => {
      const p = new TestProject();
      cleanup.push(() => p.dispose());
      const steps: [string, Record<string, string>][] = [
        ['authors', { Author: AUTHOR_V1 }],
        ['books', { Book: BOOK_V1 }],
        ['author bio', { Author: AUTHOR_V2 }],
        ['book pages', { Book: BOOK_V2 }],
        ['reviews', { Review: REVIEW }],
      ];
      const ends: string[] = [];
      steps.forEach(([message, files], i) => {
        for (const [name, text] of Object.entries(files)) p.write(`entities/${name}.ts`, text);
        p.ok(['gen-migration', '-m', message], { TIDEMARK_NOW: `2026-05-0${i + 1}T00:00:00Z` });
        ends.push(p.migrations().at(-1)!.replace(/\.ts$/, ''));
      });
      const all = p.migrations().map((f) => f.replace(/\.ts$/, ''));
      const range = all.slice(0, all.indexOf(ends[3]!) + 1);
      const url = async (name: string) => {
        const db = await trialDatabase(target.name, p, name);
        cleanup.push(db.drop);
        return db.url;
      };
      const points: string[] = [];
      const inputs = (u: string) => ({ cwd: p.dir, url: u });
      for (let k = 0; k <= all.length; k++) {
        const u = await url(`point${k}`);
        if (k) await migrateUp({ ...inputs(u), to: all[k - 1]! });
        points.push(u);
      }
      p.ok(['squash', '--to', ends[3]!], { TIDEMARK_NOW: '2026-06-01T00:00:00Z' });
      const settled = async (u: string) => {
        await migrateUp(inputs(u));
        expect(await migrationStatus(inputs(u))).toMatchObject({ pending: [], drift: [] });
      };
      for (const u of points) await settled(u);
      // MikroORM (a process of its own each time): a fresh database, one part-way through, one past the range.
      for (const u of [points[0]!, points[2]!, points.at(-1)!]) expect(refereeWants(p, u)).toEqual([]);
      for (const id of range) p.remove(`migrations/${id}.ts`);
      const fresh = await url('fresh');
      for (const u of [...points, fresh]) await settled(u);
      expect(refereeWants(p, fresh)).toEqual([]);
    });
  });
}
