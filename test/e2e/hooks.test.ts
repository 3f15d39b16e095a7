import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, TestProject, USER_V1 } from './project.ts';

/**
 * `hooks.afterWrite`: the project's formatter runs on every migration tidemark writes
 * (gen-migration, merge), with the file's path; the snapshot is sealed to the formatted file, so
 * `check` is clean and the next gen-migration still trusts it; a failing hook is one line, exit 1,
 * and the file stays; `--check` runs no hook.
 */

// A formatter: four-space indentation and a header line; logs its argument and working directory.
const FORMATTER = `import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
const file = process.argv[2];
const text = readFileSync(file, 'utf8');
writeFileSync(file, '// formatted\\n' + text.replace(/^( +)/gm, (s) => s + s));
appendFileSync('hook.log', JSON.stringify({ file, cwd: process.cwd() }) + '\\n');
console.log('formatted ' + file);
`;

const config = (hooks: string) => `import { defineConfig } from 'tidemark';

export default defineConfig({
  entities: ['./entities/*.ts'],
  migrations: './migrations',
  url: 'sqlite:./app.db',
  hooks: ${hooks},
});
`;

const NOW = { TIDEMARK_NOW: '2026-04-01T10:00:00Z' };
const withAge = USER_V1.replace('name!: string;', 'name!: string;\n\n  @Property({ nullable: true })\n  age?: number;');
const hookLog = (p: TestProject) => (existsSync(join(p.dir, 'hook.log')) ? p.read('hook.log').trim().split('\n').map((l) => JSON.parse(l) as { file: string; cwd: string }) : []);

describe('hooks.afterWrite', () => {
  let p: TestProject;
  afterEach(() => p.dispose());

  it('formats the file gen-migration writes, with its path, in the project root; check stays clean and the snapshot stays sealed', () => {
    p = new TestProject(config(`{ afterWrite: ['node fmt.mjs'] }`));
    p.write('fmt.mjs', FORMATTER).write('entities/User.ts', USER_V1);
    const r = p.run(['gen-migration', '-m', 'init'], NOW);
    expect(r.code, r.stderr).toBe(0);
    const [file] = p.migrations();
    // stdout stays the path alone: the hook's own output goes to stderr.
    expect(r.stdout).toBe(`migrations/${file}\n`);
    expect(r.stderr).toContain(`formatted migrations/${file}`);
    expect(hookLog(p)).toEqual([{ file: `migrations/${file}`, cwd: p.dir }]);
    const text = p.read(`migrations/${file}`);
    expect(text.startsWith('// formatted\n')).toBe(true);
    expect(text).toContain("\n        this.createTable('user'");

    // The seal covers the formatted file: the next gen-migration (before anything else reads the
    // history and could refresh the snapshot) imports no migration file.
    p.write('entities/User.ts', withAge);
    const log = join(p.dir, 'loaded.txt');
    const hook = `import { registerHooks } from 'node:module'; import { appendFileSync } from 'node:fs';
      registerHooks({ load(url, ctx, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, ctx); } });`;
    const g = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(hook)}`, join(ROOT, 'bin/tidemark.mjs'), 'gen-migration', '-m', 'age'], {
      cwd: p.dir,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '', TIDEMARK_NOW: '2026-04-01T11:00:00Z' },
    });
    expect(g.status, g.stderr).toBe(0);
    const migrationsUrl = `${pathToFileURL(join(p.dir, 'migrations')).href}/`;
    const loaded = readFileSync(log, 'utf8').trim().split('\n');
    expect(loaded.some((u) => u.includes('/entities/'))).toBe(true);
    expect(loaded.filter((u) => u.startsWith(migrationsUrl))).toEqual([]);
    expect(hookLog(p).map((h) => h.file)).toEqual(p.migrations().map((f) => `migrations/${f}`));
    expect(p.run(['check']).stdout).toBe('ok: the entities, the snapshot and the migration history agree.\n');
    expect(p.ok(['gen-migration', '-m', 'again'])).toBe('No changes: the entities match the migration history.\n');

    // The formatted history applies as written.
    p.ok(['migrate', 'up']);
    expect(p.run(['check', '--url', 'sqlite:./app.db']).code).toBe(0);
  });

  it('runs on the migration merge writes', () => {
    p = new TestProject(config(`{ afterWrite: ['node fmt.mjs'] }`));
    p.write('fmt.mjs', FORMATTER).write('entities/User.ts', USER_V1);
    p.ok(['gen-migration', '-m', 'init'], NOW);
    p.ok(['gen-migration', '--empty', '-m', 'left'], { TIDEMARK_NOW: '2026-04-01T10:01:00Z' });
    p.ok(['gen-migration', '--empty', '-m', 'right'], { TIDEMARK_NOW: '2026-04-01T10:02:00Z' });
    const [init, left, right] = p.migrations() as [string, string, string];
    // Two branches: `right` follows `init` as `left` does.
    p.write(`migrations/${right}`, p.read(`migrations/${right}`).replace(`'${left.replace('.ts', '')}'`, `'${init.replace('.ts', '')}'`));
    const out = p.ok(['merge', '-m', 'join'], { TIDEMARK_NOW: '2026-04-01T10:03:00Z' });
    const merged = p.migrations().find((f) => f.includes('_join'))!;
    expect(out).toContain(merged);
    expect(p.read(`migrations/${merged}`).startsWith('// formatted\n')).toBe(true);
    expect(hookLog(p).map((h) => h.file)).toEqual([init, left, right, merged].map((f) => `migrations/${f}`));
    expect(p.run(['check']).code).toBe(0);
  });

  it('a failing hook: one line naming it and its exit code, exit 1, the migration stays and check is clean; later hooks do not run', () => {
    p = new TestProject(config(`{ afterWrite: ['node fmt.mjs', 'node -e "process.exit(3)"', 'node fmt.mjs'] }`));
    p.write('fmt.mjs', FORMATTER).write('entities/User.ts', USER_V1);
    const r = p.run(['gen-migration', '-m', 'init'], NOW);
    const [file] = p.migrations();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toBe(
      `tidemark: hook 'node -e "process.exit(3)"' (hooks.afterWrite[1] in tidemark.config.ts) exited with code 3 on migrations/${file}; the migration was written and stays: fix it or the hook (then run 'tidemark check'), or delete it`,
    );
    expect(hookLog(p)).toHaveLength(1);
    expect(p.read(`migrations/${file}`).startsWith('// formatted\n')).toBe(true);
    expect(p.run(['check']).code).toBe(0);
  });

  it('gen-migration --check runs no hook', () => {
    p = new TestProject(config(`{ afterWrite: ['node fmt.mjs'] }`));
    p.write('fmt.mjs', FORMATTER).write('entities/User.ts', USER_V1);
    const r = p.run(['gen-migration', '--check']);
    expect(r.code).toBe(1);
    expect(p.migrations()).toEqual([]);
    expect(hookLog(p)).toEqual([]);
  });

  it('a hooks setting that is not a list of commands: one line naming the config, nothing written', () => {
    for (const [hooks, message] of [
      [`{ afterWrite: 'npx prettier --write' }`, "tidemark: tidemark.config.ts: 'hooks.afterWrite' must be a list of shell commands"],
      [`{ afterWrite: ['npx prettier --write', ''] }`, "tidemark: tidemark.config.ts: 'hooks.afterWrite[1]' must be a shell command (the file's path is appended to it)"],
      [`{ beforeWrite: ['x'] }`, "tidemark: tidemark.config.ts: 'hooks' has an unknown key 'beforeWrite' (it takes afterWrite)"],
    ] as const) {
      p = new TestProject(config(hooks));
      p.write('entities/User.ts', USER_V1);
      const before = p.files();
      const r = p.run(['gen-migration', '-m', 'init']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`${message}\n`);
      expect(p.files()).toEqual(before);
      p.dispose();
    }
    p = new TestProject();
  });
});
