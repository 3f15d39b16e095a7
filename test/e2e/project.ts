import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { cacheFile } from '../../src/snapshot/store.ts';
import type { SchemaSnapshot } from '../../src/schema/types.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(ROOT, 'bin', 'tidemark.mjs');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Gives a project outside the repository the packages an app has installed: the repository's
 * own (so its MikroORM is the one tidemark loads) and `tidemark` itself, as links. The suite in
 * test/pack installs the real tarball instead. `omit` leaves packages out (`@mikro-orm/postgresql`),
 * as an app that did not install them.
 */
export function linkDevModules(dir: string, omit: string[] = []): void {
  const modules = join(dir, 'node_modules');
  mkdirSync(modules, { recursive: true });
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === '.bin' || name === '.cache' || name.startsWith('.package-lock') || omit.includes(name)) continue;
    if (omit.some((o) => o.startsWith(`${name}/`))) {
      mkdirSync(join(modules, name));
      for (const sub of readdirSync(join(ROOT, 'node_modules', name))) {
        if (!omit.includes(`${name}/${sub}`)) symlinkSync(join(ROOT, 'node_modules', name, sub), join(modules, name, sub));
      }
      continue;
    }
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
  if (!omit.includes('tidemark')) symlinkSync(ROOT, join(modules, 'tidemark'));
}

/** A throw-away tidemark project on disk, driven through the real CLI in a child process. */
export class TestProject {
  readonly dir: string;

  constructor(config = `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({\n  entities: ['./entities/*.ts'],\n  migrations: './migrations',\n  url: 'sqlite:./app.db',\n});\n`, omit: string[] = []) {
    this.dir = mkdtempSync(join(tmpdir(), 'tidemark-e2e-'));
    linkDevModules(this.dir, omit);
    this.write('package.json', '{ "type": "module" }\n');
    if (config) this.write('tidemark.config.ts', config);
  }

  write(path: string, text: string): this {
    const file = join(this.dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return this;
  }

  read(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  remove(path: string): this {
    rmSync(join(this.dir, path), { force: true, recursive: true });
    return this;
  }

  copyEntity(from: string, as = from.split('/').pop()!): this {
    cpSync(join(ROOT, from), join(this.dir, 'entities', as));
    return this;
  }

  run(args: string[], env: NodeJS.ProcessEnv = {}): Run {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      cwd: this.dir,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '', ...env },
      timeout: 60_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** Runs and fails the test with the output when the exit code is not 0. */
  ok(args: string[], env: NodeJS.ProcessEnv = {}): string {
    const r = this.run(args, env);
    if (r.code !== 0) throw new Error(`tidemark ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  migrations(): string[] {
    try {
      return readdirSync(join(this.dir, 'migrations')).filter((f) => f.endsWith('.ts')).sort();
    } catch {
      return [];
    }
  }

  /** Every file in the project except caches, with its contents: to prove a failed command wrote nothing. */
  files(): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (rel: string) => {
      for (const e of readdirSync(join(this.dir, rel), { withFileTypes: true })) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (p === 'node_modules') continue;
        if (e.isDirectory()) walk(p);
        else out[p] = readFileSync(join(this.dir, p)).toString('base64');
      }
    };
    walk('');
    return out;
  }

  db(file = 'app.db'): Database.Database {
    return new Database(join(this.dir, file));
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The seed example's entities at each of its three versions. */
export const USER_V1 = `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity()
export class User {
  @PrimaryKey()
  id!: number;

  @Property({ unique: true })
  email!: string;

  @Property()
  name!: string;
}
`;

export const USER_V3 = readFileSync(join(ROOT, 'entities/User.ts'), 'utf8');
export const PROJECT = readFileSync(join(ROOT, 'entities/Project.ts'), 'utf8');

export function tables(db: Database.Database): string[] {
  return (db.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`).all() as { name: string }[]).map((r) => r.name);
}

export function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`select name from pragma_table_info(?)`).all(table) as { name: string }[]).map((r) => r.name);
}

export function applied(db: Database.Database): string[] {
  return (db.prepare('select name from tidemark_migrations order by id').all() as { name: string }[]).map((r) => r.name);
}

/** The history of `project` replayed by the built library in a child process (Node's own loader, as in production). */
/** Where tidemark caches the schema at the head for a project's migrations folder (outside it: in node_modules/.cache). */
export function schemaCacheFile(project: TestProject, migrations = 'migrations'): string {
  const dir = realpathSync(project.dir);
  return cacheFile({ cacheDir: join(dir, 'node_modules/.cache/tidemark'), migrationsDir: join(dir, migrations), snapshotFile: join(dir, migrations, '.tidemark-snapshot.json') });
}

/** The schema tidemark cached for a project's migrations folder, with its seal; undefined when none is. */
export function cachedSchema(project: TestProject, migrations = 'migrations'): (SchemaSnapshot & { seal: string }) | undefined {
  const file = schemaCacheFile(project, migrations);
  if (!existsSync(file)) return undefined;
  // Without the bookkeeping (the writer's version, the folder's path): the schema and its seal.
  const { tidemark: _version, migrations: _folder, ...schema } = JSON.parse(readFileSync(file, 'utf8'));
  return schema;
}

export function replayInChild(project: TestProject): { order: string[]; heads: string[]; schemas: Record<string, import('../../src/schema/types.ts').SchemaSnapshot> } {
  const lib = join(ROOT, 'dist/index.mjs');
  const code = `const t = await import(${JSON.stringify(lib)}); process.stdout.write(JSON.stringify(await t.replayHistory({ cwd: process.cwd() })));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: project.dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`replayHistory failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
