import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject } from '../e2e/project.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { SERVERS, unavailable, type ServerKind } from './servers.ts';

/**
 * A mistyped database name must fail, never appear: status, history and check never create a
 * database; `migrate up` creates one only when asked with --create-database.
 */
const projects: TestProject[] = [];
afterAll(() => projects.forEach((p) => p.dispose()));

async function exists(kind: ServerKind, name: string): Promise<boolean> {
  const db = await openDatabase(parseDatabaseUrl(SERVERS[kind], process.cwd(), 'test'), 'tidemark_migrations', [], process.cwd());
  try {
    const rows = kind === 'postgresql' ? await db.execute('select 1 from pg_database where datname = ?', [name]) : await db.execute('select 1 from information_schema.schemata where schema_name = ?', [name]);
    return rows.length > 0;
  } finally {
    await db.close();
  }
}

async function drop(kind: ServerKind, name: string): Promise<void> {
  const db = await openDatabase(parseDatabaseUrl(SERVERS[kind], process.cwd(), 'test'), 'tidemark_migrations', [], process.cwd());
  await db.execute(kind === 'postgresql' ? `drop database if exists ${name} with (force)` : `drop database if exists ${name}`);
  await db.close();
}

for (const kind of ['postgresql', 'mariadb'] as const) {
  const skip = await unavailable(kind);
  describe.skipIf(Boolean(skip))(`a database that does not exist on ${kind}`, () => {
    it('status, check and up fail with one line and create nothing; up --create-database creates it', async () => {
      const name = `tm_typo_${process.pid}_${randomBytes(3).toString('hex')}`;
      const base = new URL(SERVERS[kind]);
      base.pathname = `/${name}`;
      const url = base.toString();
      const p = new TestProject();
      projects.push(p);
      p.write('entities/A.ts', `import { Entity, PrimaryKey } from '@mikro-orm/decorators/legacy';\n\n@Entity()\nexport class A {\n  @PrimaryKey()\n  id!: number;\n}\n`);
      p.ok(['gen-migration', '-m', 'a'], { TIDEMARK_NOW: '2026-04-01T00:00:00Z' });
      try {
        for (const args of [['migrate', 'status'], ['check'], ['migrate', 'up']]) {
          const r = p.run([...args, '--url', url]);
          // `check` reports it as one of its problems, on stdout; the others fail on stderr.
          const said = (r.stdout + r.stderr).trim();
          expect(r.code, `${args.join(' ')}: ${said}`).toBe(1);
          expect(said.split('\n'), args.join(' ')).toHaveLength(1);
          expect(said).toContain(`cannot connect to ${url}`);
          expect(said).toContain('--create-database');
          expect(await exists(kind, name), args.join(' ')).toBe(false);
        }
        p.ok(['migrate', 'up', '--create-database', '--url', url]);
        expect(await exists(kind, name)).toBe(true);
        expect(p.ok(['migrate', 'status', '--url', url])).toContain('20260401000000_a');
      } finally {
        await drop(kind, name);
      }
    });
  });
}
