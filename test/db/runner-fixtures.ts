import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { ROOT, TestProject } from '../e2e/project.ts';
import { freshDatabase, type ServerKind } from './servers.ts';

/** A database for one trial: a SQLite file in the project, or a fresh server database. */
export async function trialDatabase(target: DialectName, p: TestProject, name = 'trial'): Promise<{ url: string; drop(): Promise<void> }> {
  if (target === 'sqlite') return { url: `sqlite:${join(p.dir, `${name}.db`)}`, drop: async () => {} };
  return freshDatabase(target as ServerKind);
}

/** Something that takes a moment on each dialect, so a kill lands inside migrations. */
function pause(target: DialectName): string {
  if (target === 'postgresql') return `    this.sql('select pg_sleep(0.03)');`;
  if (target === 'mariadb' || target === 'mysql') return `    this.sql('select sleep(0.03)');`;
  return `    this.sql('with recursive c(x) as (select 1 union all select x + 1 from c where x < 400000) select count(*) from c');`;
}

export const ids = (n: number) => Array.from({ length: n }, (_, i) => `2026040100000${i}_table_${i + 1}`);

/** `n` migrations, each creating table t<i> in several statements with pauses between them. */
export function writeChain(p: TestProject, target: DialectName, n = 5): string[] {
  const all = ids(n);
  all.forEach((id, i) => {
    const t = `t${i + 1}`;
    p.write(
      `migrations/${id}.ts`,
      `import { TidemarkMigration } from 'tidemark';

export class Table${i + 1} extends TidemarkMigration {
  static override readonly id = '${id}';
  static override readonly parents = ${JSON.stringify(i ? [all[i - 1]] : [])};

  override up(): void {
    this.createTable('${t}', (t) => {
      t.column('id', { type: 'integer', primary: true });
    });
${pause(target)}
    this.addColumn('${t}', 'label', { type: 'string', length: 40, nullable: true });
${pause(target)}
    this.createIndex('${t}', '${t}_label_index', ['label']);
  }

  override down(): void {
    this.dropTable('${t}');
  }
}
`,
    );
  });
  return all;
}

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without waiting; `kill` sends a signal after `ms`. */
export interface Started {
  done: Promise<Outcome>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves once the output so far matches (true), or when the process ended first (false). */
  seen(pattern: RegExp): Promise<boolean>;
}

export function start(p: TestProject, args: string[], env: NodeJS.ProcessEnv = {}): Started {
  const child = spawn(process.execPath, [join(ROOT, 'bin/tidemark.mjs'), ...args], { cwd: p.dir, env: { ...process.env, DATABASE_URL: '', ...env } });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<{ pattern: RegExp; resolve(hit: boolean): void }>();
  const wake = () => {
    for (const w of waiters) if (w.pattern.test(stdout + stderr)) (waiters.delete(w), w.resolve(true));
  };
  child.stdout.on('data', (d) => ((stdout += d), wake()));
  child.stderr.on('data', (d) => ((stderr += d), wake()));
  const done = new Promise<Outcome>((resolve) =>
    child.on('close', (code, signal) => {
      for (const w of waiters) w.resolve(false);
      waiters.clear();
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return {
    done,
    kill: (signal) => child.kill(signal),
    seen: (pattern) =>
      new Promise<boolean>((resolve) => {
        if (pattern.test(stdout + stderr)) return resolve(true);
        if (child.exitCode !== null || child.signalCode !== null) return resolve(false);
        waiters.add({ pattern, resolve });
      }),
  };
}

/** Version rows and the t<i> tables that exist, read directly from the database. */
export async function observe(url: string, target: DialectName, dir: string): Promise<{ rows: { name: string; status: string }[]; tables: string[] }> {
  const db = await openDatabase(parseDatabaseUrl(url, dir, 'test'), 'tidemark_migrations', [], process.cwd());
  try {
    const list =
      target === 'sqlite'
        ? await db.execute(`select name from sqlite_master where type = 'table'`)
        : target === 'postgresql'
          ? await db.execute(`select table_name as name from information_schema.tables where table_schema = 'public'`)
          : await db.execute(`select table_name as name from information_schema.tables where table_schema = database()`);
    const tables = list.map((r) => String(r.name)).filter((n) => /^t\d+$/.test(n)).sort();
    const hasVersions = list.some((r) => r.name === 'tidemark_migrations');
    const rows = hasVersions ? ((await db.execute('select name, status from tidemark_migrations order by id')) as { name: string; status: string }[]) : [];
    return { rows, tables };
  } finally {
    await db.close();
  }
}

export async function dropTable(url: string, dir: string, table: string): Promise<void> {
  const db = await openDatabase(parseDatabaseUrl(url, dir, 'test'), 'tidemark_migrations', [], process.cwd());
  try {
    await db.execute(`drop table if exists ${table}`);
  } finally {
    await db.close();
  }
}

/** The number of trials: bounded in CI, more on demand (`TIDEMARK_STRESS_TRIALS`). */
export function trials(ci: number): number {
  const n = Number(process.env.TIDEMARK_STRESS_TRIALS);
  return Number.isInteger(n) && n > 0 ? n : ci;
}

export const WAIT_M1 = '20260501000000_wait';
export const WAIT_M2 = '20260501000001_after';

/** m1 creates t1 then waits in `waitSql` (a marker the test finds in the server's process list); m2 creates t2. */
export function writeWaiting(p: TestProject, waitSql: string): void {
  p.write(
    `migrations/${WAIT_M1}.ts`,
    `import { TidemarkMigration } from 'tidemark';

export class Wait extends TidemarkMigration {
  static override readonly id = '${WAIT_M1}';
  static override readonly parents = [];

  override up(): void {
    this.createTable('t1', (t) => {
      t.column('id', { type: 'integer', primary: true });
    });
    this.sql(${JSON.stringify(waitSql)});
  }

  override down(): void {
    this.dropTable('t1');
  }
}
`,
  );
  p.write(
    `migrations/${WAIT_M2}.ts`,
    `import { TidemarkMigration } from 'tidemark';

export class After extends TidemarkMigration {
  static override readonly id = '${WAIT_M2}';
  static override readonly parents = ['${WAIT_M1}'];

  override up(): void {
    this.createTable('t2', (t) => {
      t.column('id', { type: 'integer', primary: true });
    });
  }

  override down(): void {
    this.dropTable('t2');
  }
}
`,
  );
}

/** A migration file with `body` as its up() and a harmless down(); `extra` adds static fields. */
export const migration = (id: string, parents: string[], body: string, extra = '') => `import { TidemarkMigration } from 'tidemark';

export class M${id.slice(0, 14)} extends TidemarkMigration {
  static override readonly id = '${id}';
  static override readonly parents = ${JSON.stringify(parents)};${extra}

  override up(): void {
${body}
  }

  override down(): void {
    this.sql('select 1');
  }
}
`;
