import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applied, columns, tables, TestProject, USER_V1, USER_V3 } from './project.ts';

/**
 * Two branches made in two git branches of one project, merged in git without a conflict:
 * branch labels keep them apart, `dependsOn` orders one after the other without a merge
 * migration, and every command handles the two heads (and two bases).
 */

const INVOICE = (extra = '') => `import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { User } from './User.ts';

@Entity()
export class Invoice {
  @PrimaryKey()
  id!: number;

  @ManyToOne(() => User)
  user!: User;

  @Property()
  amount!: number;
${extra}}
`;

const INIT = '20260101000000_init';
const BILLING = '20260102000000_billing';
const AGE = '20260103000000_user_age';
const NOTE = '20260104000000_invoice_note';
const MERGE = '20260105000000_join';

const at = (day: string) => ({ TIDEMARK_NOW: `2026-01-${day}T00:00:00Z` });

function git(p: TestProject, args: string[]): string {
  const r = spawnSync('git', args, {
    cwd: p.dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('branch labels and dependsOn across two git branches', () => {
  let p: TestProject;

  beforeAll(() => {
    p = new TestProject();
    // The schema is a cache outside version control; the pre-cache snapshot file is ignored
    // too, so that this passes whichever a build has.
    p.write('.gitignore', 'node_modules\napp.db\nmigrations/.tidemark-snapshot.json\n');
    p.write('entities/User.ts', USER_V1);
    git(p, ['init', '-q', '-b', 'main']);
    p.ok(['gen-migration', '-m', 'init', '--branch-label', 'main'], at('01'));
    git(p, ['add', '.']);
    git(p, ['commit', '-qm', 'init']);

    // git branch billing: a new base, labelled, that needs the user table (a foreign key).
    git(p, ['checkout', '-qb', 'billing']);
    p.write('entities/Invoice.ts', INVOICE());
    const refused = p.run(['gen-migration', '-m', 'billing', '--head', 'base', '--branch-label', 'billing'], at('02'));
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/--depends-on/);
    expect(p.migrations()).toEqual([`${INIT}.ts`]);
    p.ok(['gen-migration', '-m', 'billing', '--head', 'base', '--branch-label', 'billing', '--depends-on', 'main@head'], at('02'));
    git(p, ['add', '.']);
    git(p, ['commit', '-qm', 'billing']);

    // git branch main: the user table grows a column meanwhile.
    git(p, ['checkout', '-q', 'main']);
    p.write('entities/User.ts', USER_V3);
    p.ok(['gen-migration', '-m', 'user age'], at('03'));
    git(p, ['add', '.']);
    git(p, ['commit', '-qm', 'user age']);
    git(p, ['merge', '-q', '--no-edit', 'billing']);
  });

  afterAll(() => p?.dispose());

  it('merges in git without a conflict and writes the labels and the dependency as static fields', () => {
    expect(git(p, ['status', '--porcelain'])).toBe('');
    expect(p.migrations()).toEqual([`${INIT}.ts`, `${BILLING}.ts`, `${AGE}.ts`]);
    const billing = p.read(`migrations/${BILLING}.ts`);
    expect(billing).toContain('static override readonly parents = [];');
    expect(billing).toContain("static override readonly branchLabels = ['billing'];");
    expect(billing).toContain(`static override readonly dependsOn = ['${INIT}'];`);
    expect(p.read(`migrations/${AGE}.ts`)).not.toContain('branchLabels');
  });

  it('check accepts two heads that carry labels of their own; gen-migration --check compares with both', () => {
    const check = p.run(['check']);
    expect(check.stdout + check.stderr).not.toMatch(/heads/);
    expect(check.code).toBe(0);
    expect(p.run(['gen-migration', '--check']).code).toBe(0);
  });

  it('migrate up applies both heads, the dependency first', () => {
    const out = p.ok(['migrate', 'up']);
    expect(out).toContain('Applied 3 migrations');
    const db = p.db();
    try {
      expect(applied(db)).toEqual([INIT, BILLING, AGE]);
      expect(tables(db)).toEqual(['invoice', 'tidemark_migrations', 'user']);
      expect(columns(db, 'user')).toContain('age');
    } finally {
      db.close();
    }
    expect(p.ok(['migrate', 'status'])).toMatch(new RegExp(`${BILLING}|${AGE}`));
  });

  it('gen-migration needs --head with two heads, and --head billing adds to that branch; up --to billing@head applies it alone', () => {
    p.write('entities/Invoice.ts', INVOICE('\n  @Property({ nullable: true })\n  note?: string;\n'));
    const before = p.files();
    const refused = p.run(['gen-migration', '-m', 'invoice note'], at('04'));
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/--head/);
    expect(p.files()).toEqual(before);

    p.ok(['gen-migration', '-m', 'invoice note', '--head', 'billing'], at('04'));
    const note = p.read(`migrations/${NOTE}.ts`);
    expect(note).toContain(`static override readonly parents = ['${BILLING}'];`);
    expect(note).toContain("this.addColumn('invoice', 'note'");
    expect(p.run(['gen-migration', '--check']).code).toBe(0);

    expect(p.ok(['migrate', 'up', '--to', 'billing@head'])).toContain(NOTE);
    const db = p.db();
    try {
      expect(applied(db)).toEqual([INIT, BILLING, AGE, NOTE]);
      expect(columns(db, 'invoice')).toContain('note');
    } finally {
      db.close();
    }
    const unknown = p.run(['migrate', 'up', '--to', 'shipping@head']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/shipping/);
  });

  it('snapshot rebuild and history handle two bases and two heads', () => {
    const r = p.run(['snapshot', 'rebuild']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(AGE);
    expect(r.stdout).toContain(NOTE);
    expect(p.run(['history', '--offline']).code).toBe(0);
  });

  it('merge still joins the heads, and up applies the merge', () => {
    p.ok(['merge', '-m', 'join'], at('05'));
    const merge = p.read(`migrations/${MERGE}.ts`);
    expect(merge).toMatch(new RegExp(`parents = \\['(${AGE}|${NOTE})', '(${AGE}|${NOTE})'\\]`));
    expect(p.ok(['migrate', 'up'])).toContain(MERGE);
    expect(p.run(['check']).code).toBe(0);
  });

  it('fresh drops what tidemark manages and applies everything again', () => {
    let db = p.db();
    db.exec(`insert into user (email, name) values ('a@example.com', 'A')`);
    db.exec('create table keep_me (x integer)');
    db.close();
    const out = p.ok(['fresh']);
    expect(out).toMatch(/Dropped 2 tables/);
    expect(out).toContain('Applied 5 migrations');
    db = p.db();
    try {
      expect(db.prepare('select count(*) as n from user').get()).toEqual({ n: 0 });
      expect(tables(db)).toEqual(['invoice', 'keep_me', 'tidemark_migrations', 'user']);
      expect(applied(db)).toEqual([INIT, BILLING, AGE, NOTE, MERGE]);
    } finally {
      db.close();
    }
  });
});

const handWritten = (id: string, fields: string, up = '') =>
  `import { TidemarkMigration } from 'tidemark';\n\nexport class M extends TidemarkMigration {\n  static override readonly id = '${id}';\n${fields}\n  override up(): void {${up}}\n  override down(): void {}\n}\n`;

describe('two heads without labels of their own', () => {
  it('are branches waiting for a merge: up refuses with the ways on, --to heads applies both', () => {
    const p = new TestProject();
    try {
      p.write('migrations/20260101000000_a.ts', handWritten('20260101000000_a', `  static override readonly parents = [];`, ` this.createTable('a', (t) => { t.column('id', { type: 'integer', primary: true }); }); `));
      p.write('migrations/20260102000000_b.ts', handWritten('20260102000000_b', `  static override readonly parents = ['20260101000000_a'];`, ` this.addColumn('a', 'b', { type: 'integer', nullable: true }); `));
      p.write('migrations/20260103000000_c.ts', handWritten('20260103000000_c', `  static override readonly parents = ['20260101000000_a'];`, ` this.addColumn('a', 'c', { type: 'integer', nullable: true }); `));
      const refused = p.run(['migrate', 'up']);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toBe(
        `tidemark: the history has 2 heads (20260102000000_b, 20260103000000_c), branches waiting for a merge: run 'tidemark merge -m "<message>"' to join them, pass --to heads to apply every branch as it is, or --to <id> to apply one`,
      );
      const check = p.run(['check']);
      expect(check.code).toBe(1);
      expect(check.stdout).toContain('--branch-label');
      expect(p.ok(['migrate', 'up', '--to', 'heads'])).toContain('Applied 3 migrations');
      const db = p.db();
      try {
        expect(applied(db)).toEqual(['20260101000000_a', '20260102000000_b', '20260103000000_c']);
        expect(columns(db, 'a')).toEqual(['id', 'b', 'c']);
      } finally {
        db.close();
      }
    } finally {
      p.dispose();
    }
  });
});

describe('history files that name labels and dependencies badly', () => {
  it('a dependency that is not in the folder, and a label used twice, are one-line errors', () => {
    const p = new TestProject();
    try {
      const file = (id: string, fields: string) => handWritten(id, `  static override readonly parents = [];\n${fields}`);
      p.write('migrations/20260101000000_a.ts', file('20260101000000_a', `  static override readonly dependsOn = ['20250101000000_gone'];`));
      let r = p.run(['migrate', 'up']);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(/^tidemark: migration 20260101000000_a .* depends on '20250101000000_gone', which is not in the migrations folder$/);
      p.write('migrations/20260101000000_a.ts', file('20260101000000_a', `  static override readonly branchLabels = ['x'];`));
      p.write('migrations/20260102000000_b.ts', file('20260102000000_b', `  static override readonly branchLabels = ['x'];`));
      r = p.run(['migrate', 'up']);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe("tidemark: branch label 'x' is on both 20260101000000_a and 20260102000000_b: a label names one branch");
      const db = p.db();
      expect(tables(db)).toEqual([]);
      db.close();
    } finally {
      p.dispose();
    }
  });
});
