import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, TestProject, USER_V1 } from './project.ts';

const BIN = join(ROOT, 'bin', 'tidemark.mjs');
const NOW = { TIDEMARK_NOW: '2026-06-01T09:00:00Z' };
const IDS = ['20260601100000_create_a', '20260601110000_create_b', '20260601120000_create_c', '20260601130000_create_d', '20260601140000_create_e'];

/** A hand-written migration creating table `t_<letter>` after `parent`. */
function tableMigration(id: string, parent: string | undefined): string {
  const table = `t_${id.slice(-1)}`;
  return `import { TidemarkMigration } from 'tidemark';

export class M${id.slice(0, 14)} extends TidemarkMigration {
  static override readonly id = '${id}';
  static override readonly parents = [${parent ? `'${parent}'` : ''}];

  override up(): void {
    this.createTable('${table}', (t) => {
      t.column('id', { type: 'integer', primary: true, autoincrement: true });
    });
  }

  override down(): void {
    this.dropTable('${table}');
  }
}
`;
}

/** Run-to-run noise out of a JSON document: durations, timestamps. What is left is the schema. */
function stable(text: string): string {
  const doc = JSON.parse(text);
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => {
          if (k === 'ms' && typeof x === 'number') return [k, 0];
          if (/At$/.test(k) && typeof x === 'string') return [k, '<time>'];
          // The schema cache is named after the migrations folder's absolute path.
          if (k === 'file' && typeof x === 'string') return [k, x.replace(/-[0-9a-f]{16}\.json$/, '-<hash>.json')];
          return [k, walk(x)];
        }),
      );
    }
    return v;
  };
  return `${JSON.stringify(walk(doc), null, 2)}\n`;
}

/** The CLI with an environment that says nothing about colours (vitest may set FORCE_COLOR). */
function plain(dir: string, args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '' };
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const projects: TestProject[] = [];
const project = (...args: ConstructorParameters<typeof TestProject>) => {
  const p = new TestProject(...args);
  projects.push(p);
  return p;
};
afterAll(() => projects.forEach((p) => p.dispose()));

describe('migrate up and down say what they do as they do it', () => {
  it('a line as each migration starts and finishes (with its time), then one final line; --quiet prints nothing', () => {
    const p = project();
    IDS.forEach((id, i) => p.write(`migrations/${id}.ts`, tableMigration(id, IDS[i - 1])));
    const up = p.run(['migrate', 'up']);
    expect(up.code, up.stderr).toBe(0);
    const lines = up.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 10).map((l) => l.replace(/ in \d+ ms$/, ' in <t>'))).toEqual(IDS.flatMap((id) => [`applying ${id}`, `applied  ${id} in <t>`]));
    expect(lines[10]).toMatch(/^Applied 5 migrations on sqlite:\.\/app\.db in \d+(\.\d)? m?s\.$/);
    expect(lines[11]).toBe(`Now at ${IDS[4]} (head).`);
    expect(lines).toHaveLength(12);
    // Not a terminal, and a short run: no progress line, no carriage returns anywhere.
    expect(up.stderr).toBe('');

    const down = p.run(['migrate', 'down', '--step', '2']);
    expect(down.stdout.split('\n').slice(0, 4).map((l) => l.replace(/ in \d+ ms$/, ''))).toEqual([`reverting ${IDS[4]}`, `reverted  ${IDS[4]}`, `reverting ${IDS[3]}`, `reverted  ${IDS[3]}`]);
    expect(down.stdout).toMatch(new RegExp(`Reverted 2 migrations on sqlite:\\./app\\.db in .*\\.\\nNow at ${IDS[2]}\\.\\n$`));

    const quiet = p.run(['migrate', 'up', '--quiet']);
    expect([quiet.code, quiet.stdout, quiet.stderr]).toEqual([0, '', '']);
    expect(p.ok(['migrate', 'up', '-q'])).toBe('');
    expect(p.ok(['migrate', 'up'])).toBe(`Already up to date: sqlite:./app.db is at ${IDS[4]} (head).\n`);
  });
});

describe('--json: one document per command, with a version, pinned', () => {
  const snap = (name: string) => `../snapshots/json/${name}.json`;

  it('gen-migration, check, migrate up/status/down/resolve, verify, snapshot rebuild, merge, baseline', async () => {
    const p = project();
    p.write('entities/User.ts', USER_V1);
    await expect(stable(p.ok(['gen-migration', '-m', 'create user', '--json'], NOW))).toMatchFileSnapshot(snap('gen-migration-written'));
    await expect(stable(p.ok(['gen-migration', '--check', '--json']))).toMatchFileSnapshot(snap('gen-migration-no-changes'));
    await expect(stable(p.ok(['check', '--json']))).toMatchFileSnapshot(snap('check-ok'));
    const first = p.migrations()[0]!.replace(/\.ts$/, '');
    const next = IDS.slice(0, 2).map((id) => id.replace('20260601', '20260602'));
    next.forEach((id, i) => p.write(`migrations/${id}.ts`, tableMigration(id, i ? next[i - 1] : first)));

    const changes = p.run(['gen-migration', '--check', '--json']);
    expect(changes.code).toBe(1);
    await expect(stable(changes.stdout)).toMatchFileSnapshot(snap('gen-migration-changes'));

    await expect(stable(p.ok(['migrate', 'up', '--json']))).toMatchFileSnapshot(snap('migrate-up'));
    await expect(stable(p.ok(['migrate', 'status', '--json']))).toMatchFileSnapshot(snap('migrate-status'));
    await expect(stable(p.ok(['migrate', 'down', '--json']))).toMatchFileSnapshot(snap('migrate-down'));
    // An applied migration whose file was edited: resolve --applied records the new checksum.
    p.write(`migrations/${next[0]}.ts`, `${tableMigration(next[0]!, first)}// reviewed\n`);
    await expect(stable(p.ok(['migrate', 'resolve', next[0]!, '--applied', '--json']))).toMatchFileSnapshot(snap('migrate-resolve'));
    await expect(stable(p.ok(['verify', '--json']))).toMatchFileSnapshot(snap('verify'));
    await expect(stable(p.ok(['snapshot', 'rebuild', '--json']))).toMatchFileSnapshot(snap('snapshot-rebuild'));

    // Adopt a copy of the database as if another tool had built it: no version table.
    p.ok(['migrate', 'up']);
    const copy = p.db();
    await copy.backup(join(p.dir, 'adopted.db'));
    copy.close();
    const adopted = p.db('adopted.db');
    adopted.exec('drop table tidemark_migrations');
    adopted.close();
    await expect(stable(p.ok(['baseline', '--url', 'sqlite:./adopted.db', '--json']))).toMatchFileSnapshot(snap('baseline'));

    // Two branches off the same parent: merge joins them.
    const side = '20260603090000_create_z';
    p.write(`migrations/${side}.ts`, tableMigration(side, first));
    await expect(stable(p.ok(['merge', '-m', 'join z', '--json'], { TIDEMARK_NOW: '2026-06-04T09:00:00Z' }))).toMatchFileSnapshot(snap('merge'));

    const history = JSON.parse(p.ok(['history', '--offline', '--json']));
    expect([history.version, history.command]).toEqual([1, 'history']);
  });

  it('init', async () => {
    const p = project('');
    await expect(stable(p.ok(['init', '--json']))).toMatchFileSnapshot(snap('init'));
  });

  it('every document starts with version 1 and names its command; errors stay on stderr with the exit code', () => {
    const p = project();
    const r = p.run(['migrate', 'status', '--json', '--url', 'sqlite:./nope/missing.db']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('a reader that stops early (| head -1) ends the command quietly', () => {
  /** Runs tidemark with its stdout read by nobody: the parent closes the pipe before the first write. */
  function closedPipe(dir: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stderr }));
    });
  }

  it('history, migrate status and migrate up: exit 0, nothing on stderr, and the run completes', async () => {
    const p = project();
    IDS.forEach((id, i) => p.write(`migrations/${id}.ts`, tableMigration(id, IDS[i - 1])));
    expect(await closedPipe(p.dir, ['history', '--offline'])).toEqual({ code: 0, stderr: '' });
    expect(await closedPipe(p.dir, ['migrate', 'up'])).toEqual({ code: 0, stderr: '' });
    // The writes that failed did not stop the migrations.
    expect(p.ok(['migrate', 'up'])).toContain('Already up to date');
    expect(await closedPipe(p.dir, ['migrate', 'status'])).toEqual({ code: 0, stderr: '' });
  });

  it('through a shell pipe into head -1', () => {
    const p = project();
    IDS.forEach((id, i) => p.write(`migrations/${id}.ts`, tableMigration(id, IDS[i - 1])));
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" migrate status | head -1; "${process.execPath}" "${BIN}" history --offline | head -1`], {
      cwd: p.dir,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Database: sqlite:./app.db');
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
  });
});

describe('help, piped', () => {
  it('has no colours and no #0 placeholders', () => {
    const p = project();
    for (const args of [['--help'], ['migrate', 'up', '--help'], ['gen-migration', '--help'], ['history', '-h']]) {
      const r = plain(p.dir, args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).not.toContain('\x1b');
      expect(r.stdout).not.toContain('#0');
    }
    expect(plain(p.dir, ['migrate', 'up', '--help']).stdout).toMatch(/\n {2}--to <id> +Stop after this migration/);
    expect(plain(p.dir, ['--help']).stdout).toContain('[--lock-timeout <seconds>]');
  });

  it("'tidemark migrate' and 'tidemark snapshot' alone list their subcommands and exit 1 (they did nothing); with --help, exit 0", () => {
    const p = project();
    const migrate = plain(p.dir, ['migrate']);
    expect(migrate.code).toBe(1);
    expect(migrate.stdout).toBe('');
    expect(migrate.stderr).toMatch(/^tidemark migrate: which one\?\n/);
    for (const sub of ['up', 'down', 'status', 'resolve']) expect(migrate.stderr).toMatch(new RegExp(`\\n  tidemark migrate ${sub}\\b.* \\w`));
    const snapshot = plain(p.dir, ['snapshot']);
    expect(snapshot.code).toBe(1);
    expect(snapshot.stderr).toContain('tidemark snapshot rebuild');
    const help = plain(p.dir, ['migrate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('  tidemark migrate status');
    expect(help.stdout).not.toContain('\x1b');
  });
});

describe('exit codes', () => {
  it('0 done, 1 a problem found, 2 a usage slip', () => {
    const p = project();
    p.write('entities/User.ts', USER_V1);
    expect(p.run(['check']).code).toBe(1);
    expect(p.run(['gen-migration', '--check']).code).toBe(1);
    expect(p.run(['migrate', 'up', '--nope']).code).toBe(2);
    expect(p.run(['migrate', 'down', '--step', 'x']).code).toBe(2);
    expect(p.run(['migrate', 'up', '--transaction', 'some']).code).toBe(2);
    expect(p.run(['nothing-like-this']).code).toBe(2);
    p.ok(['gen-migration', '-m', 'create user'], NOW);
    expect(p.run(['check']).code).toBe(0);
    // Nothing failed: status is 0 whether or not --exit-zero is given.
    p.ok(['migrate', 'up']);
    expect(p.run(['migrate', 'status']).code).toBe(0);
    expect(p.run(['migrate', 'status', '--exit-zero']).code).toBe(0);
  });
});

describe('common slips name their fix', () => {
  it('a class with property decorators but no @Entity()', () => {
    const p = project();
    p.write('entities/User.ts', USER_V1);
    p.write(
      'entities/Tag.ts',
      `import { PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export class Tag {
  @PrimaryKey()
  id!: number;

  @Property()
  label!: string;
}
`,
    );
    const before = p.files();
    const r = p.run(['gen-migration', '-m', 'tags']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tidemark: Tag (entities/Tag.ts) has property decorators but no @Entity(): add @Entity() above the class (or, for a base class, extend it from an entity)\n');
    expect(p.files()).toEqual(before);
  });

  it('a base class without @Entity() that entities extend is still fine', () => {
    const p = project();
    p.write(
      'entities/Base.ts',
      `import { PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export abstract class Base {
  @PrimaryKey()
  id!: number;

  @Property()
  createdAt = new Date();
}
`,
    );
    p.write(
      'entities/Note.ts',
      `import { Entity, Property } from '@mikro-orm/decorators/legacy';
import { Base } from './Base.ts';

@Entity()
export class Note extends Base {
  @Property()
  text!: string;
}
`,
    );
    p.ok(['gen-migration', '-m', 'notes'], NOW);
    expect(p.read(`migrations/${p.migrations()[0]}`)).toContain("t.column('created_at'");
  });

  it('a relation to a class that is not an entity', () => {
    const p = project();
    p.write(
      'entities/Post.ts',
      `import { Entity, ManyToOne, PrimaryKey } from '@mikro-orm/decorators/legacy';
import { Author } from '../lib/Author.ts';

@Entity()
export class Post {
  @PrimaryKey()
  id!: number;

  @ManyToOne(() => Author)
  author!: Author;
}
`,
    );
    // Decorated, but without @Entity() and outside the entity globs.
    p.write(
      'lib/Author.ts',
      `import { PrimaryKey } from '@mikro-orm/decorators/legacy';

export class Author {
  @PrimaryKey()
  id!: number;
}
`,
    );
    const before = p.files();
    const r = p.run(['gen-migration', '-m', 'posts']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tidemark: Post.author (entities/Post.ts) points at Author, which is not an entity: add @Entity() to Author\n');
    expect(p.files()).toEqual(before);
  });

  it('no config from a folder above the app: says where it searched and what it found below', () => {
    const p = project('');
    p.write('api/tidemark.config.ts', `export default { entities: ['./entities/*.ts'], migrations: './migrations', url: 'sqlite:./app.db' };\n`);
    const r = plain(p.dir, ['migrate', 'status']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toContain(` or any directory above it; found api/tidemark.config.ts below: run tidemark from there, or pass --config api/tidemark.config.ts\n`);
    expect(r.stderr).toMatch(/ in \/\S+ or any directory above it/);
  });
});
