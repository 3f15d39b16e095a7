import { afterEach, describe, expect, it } from 'vitest';
import { TestProject, USER_V1 } from './project.ts';

/** Each failure: one clear line naming what is wrong, a non-zero exit, nothing written. */
describe('bad input', () => {
  const projects: TestProject[] = [];
  const project = (config?: string) => {
    const p = new TestProject(config);
    projects.push(p);
    return p;
  };
  afterEach(() => projects.splice(0).forEach((p) => p.dispose()));

  const oneLine = (s: string) => s.trim().split('\n').length === 1;

  it('missing config file', () => {
    const p = project('');
    const before = p.files();
    const r = p.run(['gen-migration', '-m', 'x']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^tidemark: config file not found: tidemark\.config\.ts/);
    expect(oneLine(r.stderr)).toBe(true);
    expect(p.files()).toEqual(before);
    const r2 = p.run(['migrate', 'up', '--config', 'nope/tidemark.config.ts']);
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toContain('config file not found: nope/tidemark.config.ts');
  });

  it('an entity file that fails to load is named', () => {
    const p = project();
    p.write('entities/User.ts', USER_V1);
    p.write('entities/Broken.ts', `import { Entity } from '@mikro-orm/decorators/legacy';\nthrow new Error('boom at load');\n@Entity()\nexport class Broken {}\n`);
    const before = p.files();
    const r = p.run(['gen-migration', '-m', 'x']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^tidemark: cannot load entity file entities\/Broken\.ts: boom at load/);
    expect(oneLine(r.stderr)).toBe(true);
    expect(p.files()).toEqual(before);
  });

  it('an entity whose type cannot be mapped is named with entity and property', () => {
    const p = project();
    p.write(
      'entities/Odd.ts',
      `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/es';\n@Entity()\nexport class Odd {\n  @PrimaryKey({ type: 'integer' }) id!: number;\n  @Property({ type: 'geometry' }) where!: unknown;\n}\n`,
    );
    const r = p.run(['gen-migration', '-m', 'x']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Odd\.where: cannot map type 'geometry'/);
    expect(oneLine(r.stderr)).toBe(true);
    expect(p.migrations()).toEqual([]);
  });

  it('an unknown flag', () => {
    const p = project();
    const r = p.run(['gen-migration', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`tidemark: unknown option --bogus (see 'tidemark gen-migration --help')`);
    expect(oneLine(r.stderr)).toBe(true);
  });

  it('gen-migration without a message', () => {
    const p = project();
    p.write('entities/User.ts', USER_V1);
    const r = p.run(['gen-migration']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gen-migration needs -m');
    expect(p.migrations()).toEqual([]);
  });

  it('squash without --to names the flag (not an unknown command)', () => {
    const p = project();
    const r = p.run(['squash', '-m', 'all']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('tidemark: squash needs --to <id>: the last migration to squash (an id, a unique prefix, its slug, or head)');
    expect(p.migrations()).toEqual([]);
  });

  it('a database path that cannot be opened', () => {
    const p = project();
    p.write('entities/User.ts', USER_V1);
    p.ok(['gen-migration', '-m', 'create user table']);
    const before = p.files();
    const r = p.run(['migrate', 'up', '--url', 'sqlite:./no/such/dir/app.db']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^tidemark: cannot open SQLite database sqlite:\.\/no\/such\/dir\/app\.db: folder .* does not exist/);
    expect(oneLine(r.stderr)).toBe(true);
    expect(p.files()).toEqual(before);
    p.write('app.db/keep', '');
    const r2 = p.run(['migrate', 'up']);
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toContain('is a directory');
  });

  it('a --rename that names nothing in the history is a usage error', () => {
    const p = project();
    p.write('entities/User.ts', USER_V1);
    p.ok(['gen-migration', '-m', 'base']);
    const r = p.run(['gen-migration', '-m', 'x', '--rename', 'usr.name=title']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`tidemark: --rename usr.name=title: the history has no column 'usr.name', or the table already has 'title'`);
  });

  it('status on a database that does not exist yet creates nothing', () => {
    const p = project();
    p.write('entities/User.ts', USER_V1);
    p.ok(['gen-migration', '-m', 'base']);
    const before = p.files();
    const out = p.ok(['migrate', 'status']);
    expect(out).toContain('Current:  base (no migrations applied)');
    expect(out).toContain('does not exist yet: migrate up creates it');
    expect(p.files()).toEqual(before);
  });

  it('a bad --step and an unknown --to', () => {
    const p = project();
    p.write('entities/User.ts', USER_V1);
    p.ok(['gen-migration', '-m', 'create user table']);
    p.ok(['migrate', 'up']);
    const step = p.run(['migrate', 'down', '--step', 'two']);
    expect(step.code).toBe(2);
    expect(step.stderr).toContain('--step two');
    const to = p.run(['migrate', 'up', '--to', '1999']);
    expect(to.code).not.toBe(0);
    expect(to.stderr).toContain('--to 1999: no such migration');
  });

  it('the URL given by --url wins over DATABASE_URL, which wins over the config; passwords never print', () => {
    const p = project();
    p.write('entities/User.ts', USER_V1);
    p.ok(['gen-migration', '-m', 'create user table']);
    expect(p.ok(['migrate', 'up'], { DATABASE_URL: 'sqlite:./from-env.db' })).toContain('sqlite:./from-env.db');
    expect(p.ok(['migrate', 'up', '--url', 'sqlite:./from-flag.db'], { DATABASE_URL: 'sqlite:./from-env.db' })).toContain('sqlite:./from-flag.db');
    const r = p.run(['migrate', 'status', '--url', 'postgres://app:s3cret-pw@127.0.0.1:1/nodb']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).not.toContain('s3cret-pw');
    expect(r.stderr).toContain('postgres://app:****@127.0.0.1:1/nodb');
  });
});
