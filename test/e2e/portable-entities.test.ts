import { afterAll, describe, expect, it } from 'vitest';
import { TestProject } from './project.ts';

/**
 * One migrations folder serves SQLite, PostgreSQL and MySQL/MariaDB. What only one dialect
 * understands is refused when the migration is generated — one line naming the entity, the
 * property and what to write instead — never found by a failing `migrate up` elsewhere.
 */
const projects: TestProject[] = [];
afterAll(() => projects.forEach((p) => p.dispose()));

function entityWith(property: string): TestProject {
  const p = new TestProject();
  projects.push(p);
  p.write(
    'entities/Thing.ts',
    `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';\n\n@Entity()\nexport class Thing {\n  @PrimaryKey()\n  id!: number;\n\n  ${property}\n}\n`,
  );
  return p;
}

function refused(property: string): string {
  const p = entityWith(property);
  const before = p.files();
  const r = p.run(['gen-migration', '-m', 'thing']);
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(p.files()).toEqual(before);
  return r.stderr.trim();
}

function generated(property: string): string {
  const p = entityWith(property);
  p.ok(['gen-migration', '-m', 'thing'], { TIDEMARK_NOW: '2026-04-01T00:00:00Z' });
  return p.read(`migrations/${p.migrations()[0]}`);
}

describe('defaults and column types only one dialect runs', () => {
  it.each([
    [`@Property({ defaultRaw: 'now()' }) at!: Date;`, /Thing\.at: defaultRaw 'now\(\)' does not run on every dialect \(SQLite has no now\(\)\).*use defaultRaw: 'current_timestamp'/],
    [`@Property({ type: 'uuid', defaultRaw: 'gen_random_uuid()' }) ref!: string;`, /Thing\.ref: defaultRaw 'gen_random_uuid\(\)'.*PostgreSQL only.*randomUUID/],
    [`@Property({ type: 'string', defaultRaw: 'uuid()' }) ref!: string;`, /Thing\.ref: defaultRaw 'uuid\(\)'.*MySQL only/],
    [`@Property({ columnType: 'mediumtext' }) body!: string;`, /Thing\.body: columnType 'mediumtext' is not declared the same on SQLite, PostgreSQL and MySQL\/MariaDB.*write type: 'text'/],
    [`@Property({ columnType: 'citext' }) email!: string;`, /Thing\.email: columnType 'citext'.*write type: 'text'/],
  ])('%s is refused at gen-migration', (property, message) => {
    expect(refused(property)).toMatch(message);
  });

  it('a columnType every dialect accepts is declared as written on each', () => {
    expect(generated(`@Property({ columnType: 'varchar(40)' }) code!: string;`)).toContain(`t.column('code', { type: 'string', length: 40, columnType: 'varchar(40)' });`);
  });

  it("one dialect's own spelling of a type tidemark has is declared per dialect", () => {
    expect(generated(`@Property({ columnType: 'jsonb' }) data!: object;`)).toContain(`t.column('data', { type: 'json' });`);
  });

  it('current_timestamp runs everywhere and is kept', () => {
    expect(generated(`@Property({ defaultRaw: 'current_timestamp' }) at!: Date;`)).toContain(`t.column('at', { type: 'datetime', defaultRaw: 'current_timestamp' });`);
  });
});

describe('two entities on one table', () => {
  it('names both classes and their files, exit 1, nothing written', () => {
    const p = new TestProject();
    projects.push(p);
    p.write('entities/A.ts', `import { Entity, PrimaryKey } from '@mikro-orm/decorators/legacy';\n\n@Entity({ tableName: 'thing' })\nexport class A {\n  @PrimaryKey()\n  id!: number;\n}\n`);
    p.write('entities/B.ts', `import { Entity, PrimaryKey } from '@mikro-orm/decorators/legacy';\n\n@Entity({ tableName: 'thing' })\nexport class B {\n  @PrimaryKey()\n  id!: number;\n}\n`);
    const before = p.files();
    const r = p.run(['gen-migration', '-m', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`tidemark: A (entities/A.ts) and B (entities/B.ts) both map to table 'thing': give one of them another tableName`);
    expect(p.files()).toEqual(before);
  });
});
