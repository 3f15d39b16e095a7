import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeSchema } from '../../src/schema/normalize.ts';
import { fileChecksums, sealOf } from '../../src/snapshot/store.ts';
import { applied, cachedSchema, columns, schemaCacheFile, TestProject, USER_V1 } from './project.ts';

/**
 * The schema at the head of the history is a cache outside version control, derived from the
 * migration files: branches never touch the same file, and a changed history (another branch
 * checked out, a hand-edited migration) is replayed by itself, never a reason to stop.
 */

const withProps = (props: string) => USER_V1.replace('  name!: string;\n}', `  name!: string;\n${props}}`);
const at = (day: number) => ({ TIDEMARK_NOW: `2026-07-${String(day).padStart(2, '0')}T12:00:00Z` });
const entity = (name: string, table: string) =>
  `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';\n\n@Entity({ tableName: '${table}' })\nexport class ${name} {\n  @PrimaryKey()\n  id!: number;\n\n  @Property()\n  label!: string;\n}\n`;

function git(p: TestProject, args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=tidemark test', '-c', 'user.email=test@tidemark.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: p.dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('two git branches that each generate a migration', () => {
  const p = new TestProject();
  afterAll(() => p.dispose());

  it('merge in git with no conflicting file; tidemark merge then joins the heads', () => {
    // What a project commits: everything but node_modules (where the cache is) and the database.
    p.write('.gitignore', 'node_modules\napp.db\n*.tidemark-lock\n').write('entities/User.ts', USER_V1);
    git(p, ['init', '-q', '-b', 'main']);
    p.ok(['gen-migration', '-m', 'base'], at(1));
    git(p, ['add', '-A']);
    git(p, ['commit', '-q', '-m', 'base']);
    expect(git(p, ['ls-files', 'migrations']).trim().split('\n')).toEqual(['migrations/20260701120000_base.ts']);

    git(p, ['checkout', '-q', '-b', 'tags']);
    p.write('entities/Tag.ts', entity('Tag', 'tag'));
    expect(p.ok(['gen-migration', '-m', 'tags'], at(2)).trim()).toBe('migrations/20260702120000_tags.ts');
    git(p, ['add', '-A']);
    git(p, ['commit', '-q', '-m', 'tags']);

    // The other branch starts from main: the cache, sealed to the tags branch's files, no longer holds.
    git(p, ['checkout', '-q', 'main']);
    git(p, ['checkout', '-q', '-b', 'labels']);
    expect(p.migrations()).toEqual(['20260701120000_base.ts']);
    p.write('entities/Label.ts', entity('Label', 'label'));
    expect(p.ok(['gen-migration', '-m', 'labels'], at(3)).trim()).toBe('migrations/20260703120000_labels.ts');
    // Diffed against main's schema, not the tags branch's: no drop of `tag`.
    expect(p.read('migrations/20260703120000_labels.ts')).not.toContain('tag');
    git(p, ['add', '-A']);
    git(p, ['commit', '-q', '-m', 'labels']);

    git(p, ['checkout', '-q', 'main']);
    git(p, ['merge', '-q', 'tags']);
    const merge = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@tidemark.invalid', 'merge', '--no-edit', 'labels'], { cwd: p.dir, encoding: 'utf8' });
    expect(merge.status, merge.stdout + merge.stderr).toBe(0);
    expect(git(p, ['diff', '--name-only', '--diff-filter=U'])).toBe('');
    expect(git(p, ['ls-files', 'migrations']).trim().split('\n')).toEqual([
      'migrations/20260701120000_base.ts',
      'migrations/20260702120000_tags.ts',
      'migrations/20260703120000_labels.ts',
    ]);

    const gen = p.run(['gen-migration', '-m', 'more']);
    expect(gen.code).toBe(1);
    expect(gen.stderr).toContain('the history has 2 heads (20260702120000_tags, 20260703120000_labels)');
    expect(p.ok(['merge', '-m', 'join'], at(4)).trim()).toBe('migrations/20260704120000_join.ts');
    expect(p.ok(['gen-migration', '-m', 'again'])).toBe('No changes: the entities match the migration history.\n');
    const check = JSON.parse(p.run(['check', '--json']).stdout);
    expect(check.ok).toBe(true);
    expect(check.problems).toEqual([]);
    expect(cachedSchema(p)?.head).toBe('20260704120000_join');
    expect(cachedSchema(p)?.tables.map((t) => t.name)).toEqual(['label', 'tag', 'user']);
    p.ok(['migrate', 'up']);
    expect(applied(p.db())).toEqual(['20260701120000_base', '20260702120000_tags', '20260703120000_labels', '20260704120000_join']);
    // Still nothing for git to see but the migration files and the entities.
    expect(git(p, ['status', '--porcelain'])).toBe('?? migrations/20260704120000_join.ts\n');
  });
});

describe('the cached schema follows the migration files', () => {
  const p = new TestProject();
  afterAll(() => p.dispose());
  p.write('entities/User.ts', USER_V1);
  p.ok(['gen-migration', '-m', 'base'], at(1));
  p.write('entities/User.ts', withProps('\n  @Property({ nullable: true })\n  age?: number;\n'));
  p.ok(['gen-migration', '-m', 'age'], at(2));
  const ageFile = 'migrations/20260702120000_age.ts';

  it('gen-migration writes no file beside the migration, and caches the schema outside the folder', () => {
    expect(p.migrations()).toEqual(['20260701120000_base.ts', '20260702120000_age.ts']);
    expect(existsSync(`${p.dir}/migrations/.tidemark-snapshot.json`)).toBe(false);
    const cached = cachedSchema(p)!;
    expect(cached.head).toBe('20260702120000_age');
    expect(cached.tables.find((t) => t.name === 'user')!.columns.map((c) => c.name)).toEqual(['id', 'email', 'name', 'age']);
    expect(schemaCacheFile(p)).toContain('/node_modules/.cache/tidemark/schema/');
  });

  it('a hand-edited migration needs no snapshot rebuild: the next command replays it', () => {
    // The developer adds `nick` to the entity and, before committing, to the age migration by hand.
    p.write('entities/User.ts', withProps('\n  @Property({ nullable: true })\n  age?: number;\n\n  @Property({ nullable: true })\n  nick?: number;\n'));
    const text = p.read(ageFile);
    const edited = text
      .replace("    this.addColumn('user', 'age', { type: 'integer', nullable: true });\n", "    this.addColumn('user', 'age', { type: 'integer', nullable: true });\n    this.addColumn('user', 'nick', { type: 'integer', nullable: true });\n")
      .replace("    this.dropColumn('user', 'age');\n", "    this.dropColumn('user', 'nick');\n    this.dropColumn('user', 'age');\n");
    expect(edited).not.toBe(text);
    p.write(ageFile, edited);
    const gen = p.run(['gen-migration', '-m', 'nick']);
    expect(gen.code, gen.stderr).toBe(0);
    expect(gen.stdout).toBe('No changes: the entities match the migration history.\n');
    expect(gen.stderr).toBe('');
    expect(p.migrations()).toHaveLength(2);
    expect(cachedSchema(p)!.tables.find((t) => t.name === 'user')!.columns.map((c) => c.name)).toEqual(['id', 'email', 'name', 'age', 'nick']);
    const check = p.run(['check', '--json']);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout).problems).toEqual([]);
    p.ok(['migrate', 'up']);
    expect(columns(p.db(), 'user')).toEqual(['id', 'email', 'name', 'age', 'nick']);
  });

  it.each([
    ['not JSON', () => '{ "format": 1, '],
    ['a hand edit (the seal no longer holds)', (s: string) => s.replace('"name": "nick"', '"name": "years"')],
    ['an empty file', () => ''],
  ])('a cache that is %s is ignored and rewritten; snapshot rebuild is there but not needed', (_what, spoil) => {
    const file = relative(p.dir, schemaCacheFile(p));
    const good = p.read(file);
    p.write(file, spoil(good));
    expect(p.ok(['gen-migration', '--check'])).toContain('No changes');
    expect(p.read(file)).toBe(good);
    p.write(file, spoil(good));
    expect(p.ok(['snapshot', 'rebuild'])).toBe(`Rebuilt ${file} (head 20260702120000_age).\n`);
    expect(p.read(file)).toBe(good);
    expect(p.ok(['snapshot', 'rebuild'])).toBe(`Unchanged ${file} (head 20260702120000_age).\n`);
  });
});

describe('a migrations/.tidemark-snapshot.json from before the cache', () => {
  const projects: TestProject[] = [];
  afterAll(() => projects.forEach((x) => x.dispose()));
  const start = () => {
    const p = new TestProject();
    projects.push(p);
    p.write('entities/User.ts', USER_V1);
    p.ok(['gen-migration', '-m', 'base'], at(1));
    p.remove('node_modules/.cache/tidemark/schema');
    return p;
  };
  const sealed = (p: TestProject, edit: (s: ReturnType<typeof normalizeSchema>) => void) => {
    const schema = normalizeSchema(cachedSchemaFromReplay(p));
    edit(schema);
    return `${JSON.stringify({ ...schema, seal: sealOf(fileChecksums(`${p.dir}/migrations`), schema) }, null, 2)}\n`;
  };
  const cachedSchemaFromReplay = (p: TestProject) => {
    p.ok(['snapshot', 'rebuild']);
    const s = cachedSchema(p)!;
    p.remove('node_modules/.cache/tidemark/schema');
    return s;
  };

  it('is read while its seal holds (no cache yet), never written, and gen-migration says once that it can go', () => {
    const p = start();
    // Sealed to the files, so trusted as it is: a column only it has (and the entities) shows it was read.
    const legacy = sealed(p, (s) => s.tables[0]!.columns.push({ name: 'age', type: 'integer', nullable: true }));
    p.write('migrations/.tidemark-snapshot.json', legacy);
    p.write('entities/User.ts', withProps('\n  @Property({ nullable: true })\n  age?: number;\n'));
    const first = p.run(['gen-migration', '-m', 'age']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('No changes: the entities match the migration history.\n');
    expect(first.stderr).toBe(
      'note: migrations/.tidemark-snapshot.json is no longer used or updated: tidemark now caches the schema in node_modules/.cache/tidemark/schema, outside git, and rebuilds it from the migrations when they change; delete it from git (git rm migrations/.tidemark-snapshot.json)\n',
    );
    const second = p.run(['gen-migration', '-m', 'age']);
    expect(second.stdout).toBe('No changes: the entities match the migration history.\n');
    expect(second.stderr).toBe('');

    // A changed migration file breaks its seal: from then on it is ignored and the history replayed.
    p.write('migrations/20260701120000_base.ts', `${p.read('migrations/20260701120000_base.ts')}// reviewed\n`);
    expect(p.ok(['gen-migration', '-m', 'age'], at(2)).trim()).toBe('migrations/20260702120000_age.ts');
    expect(p.read('migrations/20260702120000_age.ts')).toContain("this.addColumn('user', 'age', { type: 'integer', nullable: true });");
    expect(p.read('migrations/.tidemark-snapshot.json')).toBe(legacy);
    expect(cachedSchema(p)?.head).toBe('20260702120000_age');
  });

  it('is ignored when its seal does not hold (conflict markers, a stale or hand-edited one), with no error', () => {
    const p = start();
    for (const bad of ['<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> branch\n', sealed(p, () => {}).replace('"name": "email"', '"name": "mail"'), '{ "format": 1, "head": null, "tables": [] }\n']) {
      p.write('migrations/.tidemark-snapshot.json', bad);
      expect(p.ok(['gen-migration', '--check'])).toContain('No changes');
      const check = p.run(['check', '--json']);
      expect(check.code, check.stdout).toBe(0);
      expect(p.read('migrations/.tidemark-snapshot.json')).toBe(bad);
    }
  });
});
