import { afterAll, describe, expect, it } from 'vitest';
import { applied, columns, TestProject, USER_V1 } from './project.ts';


const withProps = (props: string) => USER_V1.replace('  name!: string;\n}', `  name!: string;\n${props}}`);
const at = (day: number) => ({ TIDEMARK_NOW: `2026-06-${String(day).padStart(2, '0')}T12:00:00Z` });
const oneLine = (s: string) => s.trim().split('\n').length === 1;

describe('branches and merges', () => {
  const p = new TestProject();
  afterAll(() => p.dispose());
  let base = '';
  let a = '';
  let b = '';

  it('two migrations generated on two git branches from one parent are two heads, refused with a way on', () => {
    p.write('entities/User.ts', USER_V1);
    p.ok(['gen-migration', '-m', 'base'], at(1));
    base = p.migrations()[0]!.replace('.ts', '');
    const snapshot = p.read('migrations/.tidemark-snapshot.json');
    // branch A adds `a`
    p.write('entities/User.ts', withProps('\n  @Property({ nullable: true })\n  a?: string;\n'));
    p.ok(['gen-migration', '-m', 'branch a'], at(2));
    a = p.migrations()[1]!.replace('.ts', '');
    const fileA = p.read(`migrations/${a}.ts`);
    // branch B, from the same parent, adds `b`; then git merges both
    p.remove(`migrations/${a}.ts`).write('migrations/.tidemark-snapshot.json', snapshot);
    p.write('entities/User.ts', withProps('\n  @Property({ nullable: true })\n  b?: string;\n'));
    p.ok(['gen-migration', '-m', 'branch b'], at(3));
    b = p.migrations()[1]!.replace('.ts', '');
    p.write(`migrations/${a}.ts`, fileA);
    p.write('entities/User.ts', withProps('\n  @Property({ nullable: true })\n  a?: string;\n\n  @Property({ nullable: true })\n  b?: string;\n'));

    const gen = p.run(['gen-migration', '-m', 'more']);
    expect(gen.code).toBe(1);
    expect(oneLine(gen.stderr)).toBe(true);
    expect(gen.stderr).toContain(`the history has 2 heads (${a}, ${b})`);
    expect(gen.stderr).toContain(`run 'tidemark merge -m "<message>"'`);
    const check = p.run(['check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('✗ multiple-heads');
    const up = p.run(['migrate', 'up']);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(`the history has 2 heads (${a}, ${b})`);
    expect(applied(p.db())).toEqual([]);
  });

  it('merge writes a migration with both parents; up applies both branches; the graph reads well', async () => {
    expect(p.ok(['merge', '-m', 'join a and b'], at(4))).toMatch(/migrations\/20260604120000_join_a_and_b\.ts/);
    const merge = p.read('migrations/20260604120000_join_a_and_b.ts');
    expect(merge).toContain(`static override readonly parents = ['${a}', '${b}'];`);
    expect(p.run(['check']).code).toBe(0);
    expect(p.ok(['gen-migration', '-m', 'again'])).toContain('No changes');

    p.ok(['migrate', 'up', '--to', a]);
    expect(applied(p.db())).toEqual([base, a]);
    p.ok(['migrate', 'up']);
    expect(applied(p.db())).toEqual([base, a, b, '20260604120000_join_a_and_b']);
    expect(columns(p.db(), 'user')).toEqual(['id', 'email', 'name', 'a', 'b']);
    await expect(p.ok(['history'])).toMatchFileSnapshot('../snapshots/history-branches.txt');

    p.ok(['migrate', 'down', '--to', a]);
    expect(applied(p.db())).toEqual([base, a]);
    expect(columns(p.db(), 'user')).toEqual(['id', 'email', 'name', 'a']);
    p.ok(['migrate', 'up']);
    expect(p.ok(['verify'])).toContain('ok: 4 migration(s) went up, down and up again');
  });
});

describe('the snapshot is derived from the history', () => {
  const p = new TestProject();
  afterAll(() => p.dispose());
  p.write('entities/User.ts', USER_V1);
  p.ok(['gen-migration', '-m', 'base'], at(1));
  p.write('entities/User.ts', withProps('\n  @Property({ nullable: true })\n  age?: number;\n'));
  p.ok(['gen-migration', '-m', 'age'], at(2));
  const good = p.read('migrations/.tidemark-snapshot.json');
  const first = p.migrations()[0]!.replace('.ts', '');

  it.each([
    ['git conflict markers', (s: string) => `<<<<<<< HEAD\n${s}=======\n${s}>>>>>>> branch\n`, 'it has git conflict markers'],
    ['a hand edit', (s: string) => s.replace('"name": "age"', '"name": "years"'), 'does not match what the migrations'],
    ['a stale head', (s: string) => s.replace(/"head": "[^"]+"/, `"head": "${first}"`), `belongs to ${first}, but the head is`],
    ['a missing file', () => undefined, 'is missing'],
  ])('%s is detected by gen-migration and check, and rebuilt', (_what, corrupt, says) => {
    const bad = corrupt(good);
    if (bad === undefined) p.remove('migrations/.tidemark-snapshot.json');
    else p.write('migrations/.tidemark-snapshot.json', bad);
    const gen = p.run(['gen-migration', '-m', 'x']);
    expect(gen.code).toBe(1);
    expect(gen.stderr).toContain(says);
    expect(gen.stderr).toContain(`run 'tidemark snapshot rebuild'`);
    expect(p.migrations()).toHaveLength(2);
    const check = JSON.parse(p.run(['check', '--json']).stdout);
    expect(check.ok).toBe(false);
    expect(check.problems.map((x: { code: string }) => x.code)).toEqual(['snapshot-mismatch']);
    expect(p.ok(['snapshot', 'rebuild'])).toContain('Rebuilt migrations/.tidemark-snapshot.json');
    expect(p.read('migrations/.tidemark-snapshot.json')).toBe(good);
    expect(p.run(['check']).code).toBe(0);
  });
});

describe('rename intent, never guessed', () => {
  const projects: TestProject[] = [];
  afterAll(() => projects.forEach((x) => x.dispose()));
  const start = () => {
    const p = new TestProject();
    projects.push(p);
    p.write('entities/User.ts', withProps('\n  @Property({ nullable: true })\n  fullName?: string;\n'));
    p.ok(['gen-migration', '-m', 'base'], at(1));
    p.ok(['migrate', 'up']);
    p.db().prepare(`insert into user (email, name, full_name) values ('a@x', 'A', 'Ada Lovelace')`).run();
    return p;
  };
  const renamed = withProps('\n  @Property({ nullable: true })\n  displayName?: string;\n');

  it('a drop and an add that look like a rename are refused without a terminal, naming the flags', () => {
    const p = start();
    p.write('entities/User.ts', renamed);
    const r = p.run(['gen-migration', '-m', 'rename']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toContain('column user.full_name is dropped and user.display_name (also string) added');
    expect(r.stderr).toContain('pass --rename user.full_name=display_name');
    expect(r.stderr).toContain('pass --no-rename user.full_name');
    expect(p.migrations()).toHaveLength(1);
  });

  it('--rename makes it a rename, and the data survives up, down and up', async () => {
    const p = start();
    p.write('entities/User.ts', renamed);
    p.ok(['gen-migration', '-m', 'rename full name', '--rename', 'user.full_name=display_name'], at(2));
    const file = p.read(`migrations/${p.migrations()[1]}`);
    await expect(file).toMatchFileSnapshot('../snapshots/e2e-rename-by-flag.ts');
    p.ok(['migrate', 'up']);
    expect(p.db().prepare('select display_name from user').all()).toEqual([{ display_name: 'Ada Lovelace' }]);
    p.ok(['migrate', 'down']);
    expect(p.db().prepare('select full_name from user').all()).toEqual([{ full_name: 'Ada Lovelace' }]);
    p.ok(['migrate', 'up']);
    expect(p.db().prepare('select display_name from user').all()).toEqual([{ display_name: 'Ada Lovelace' }]);
  });

  it('@RenamedFrom on the property (and on the entity) says it in code', async () => {
    const p = start();
    p.write(
      'entities/User.ts',
      `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { RenamedFrom } from 'tidemark';

@RenamedFrom('user')
@Entity({ tableName: 'member' })
export class User {
  @PrimaryKey()
  id!: number;

  @Property({ unique: true })
  email!: string;

  @Property()
  name!: string;

  @RenamedFrom('full_name')
  @Property({ nullable: true })
  displayName?: string;
}
`,
    );
    p.ok(['gen-migration', '-m', 'user becomes member'], at(2));
    await expect(p.read(`migrations/${p.migrations()[1]}`)).toMatchFileSnapshot('../snapshots/e2e-rename-by-decorator.ts');
    p.ok(['migrate', 'up']);
    expect(p.db().prepare('select email, display_name from member').all()).toEqual([{ email: 'a@x', display_name: 'Ada Lovelace' }]);
    // The annotation stays; once its rename is in a migration it does nothing.
    expect(p.ok(['gen-migration', '-m', 'again'])).toContain('No changes');
  });

  it('--no-rename makes it a drop and an add, which the destructive gate then stops', () => {
    const p = start();
    p.write('entities/User.ts', renamed);
    const r = p.run(['gen-migration', '-m', 'replace', '--no-rename', 'user.full_name']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TM102 drop column user.full_name');
    p.ok(['gen-migration', '-m', 'replace', '--no-rename', 'user.full_name', '--allow', 'TM102:user.full_name'], at(2));
    expect(p.read(`migrations/${p.migrations()[1]}`)).toContain(`this.dropColumn('user', 'full_name');`);
  });
});

describe('destructive-change gate', () => {
  const projects: TestProject[] = [];
  afterAll(() => projects.forEach((x) => x.dispose()));
  const base = withProps('\n  @Property({ nullable: true })\n  age?: number;\n\n  @Property({ length: 200, nullable: true })\n  bio?: string;\n');

  it.each([
    ['TM102', 'drop column user.age', base.replace('\n  @Property({ nullable: true })\n  age?: number;\n', '')],
    ['TM103', 'narrow column user.bio (string(200) → string(50))', base.replace('length: 200', 'length: 50')],
    ['TM104', 'make user.age NOT NULL without a default', base.replace('@Property({ nullable: true })\n  age?: number;', '@Property()\n  age!: number;')],
    ['TM101', 'drop table user', `import { Entity, PrimaryKey } from '@mikro-orm/decorators/legacy';\n\n@Entity()\nexport class Other {\n  @PrimaryKey()\n  id!: number;\n}\n`],
  ])('%s fires on "%s", is refused without leave, and is written with it', (code, message, entities) => {
    const p = new TestProject();
    projects.push(p);
    p.write('entities/User.ts', base);
    p.ok(['gen-migration', '-m', 'base'], at(1));
    p.write('entities/User.ts', entities);
    const before = p.files();
    const r = p.run(['gen-migration', '-m', 'change']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toContain(`${code} ${message}`);
    expect(r.stderr).toContain('--allow-destructive');
    expect(p.files()).toEqual(before);
    p.ok(['gen-migration', '-m', 'change', '--allow-destructive'], at(2));
    const file = p.read(`migrations/${p.migrations()[1]}`);
    expect(file).toContain(`- ${code} ${message}`);
    if (code !== 'TM104') expect(file).toContain('// Restores the schema only: the data that up() removed cannot be brought back');
  });
});

describe('verify', () => {
  const p = new TestProject();
  afterAll(() => p.dispose());

  it('passes on a good history and names a down that does not undo its up', () => {
    p.write('entities/User.ts', USER_V1);
    p.ok(['gen-migration', '-m', 'base'], at(1));
    p.write('entities/User.ts', withProps('\n  @Property({ nullable: true })\n  age?: number;\n'));
    p.ok(['gen-migration', '-m', 'age'], at(2));
    expect(p.ok(['verify'])).toContain('ok: 2 migration(s)');
    const file = `migrations/${p.migrations()[1]}`;
    p.write(file, p.read(file).replace(`this.dropColumn('user', 'age');`, `this.sql('select 1');`));
    const r = p.run(['verify']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`tidemark: verify failed at ${p.migrations()[1]!.replace('.ts', '')} (down): down() does not undo up(): column user.age should not exist`);
  });
});
