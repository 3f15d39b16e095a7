import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedSchema, PROJECT, ROOT, TestProject, USER_V3 } from './project.ts';

/** `migrate` is the command that runs at every deploy: it must not load ts-morph, TypeScript or the differ. */
describe('migrate start-up path', () => {
  const p = new TestProject();
  afterAll(() => p.dispose());
  // MikroORM is the app's own, loaded from node_modules: its `@mikro-orm/migrations` is not the project's folder.
  const projectMigrations = `${pathToFileURL(join(p.dir, 'migrations')).href}/`;
  const dist = `${pathToFileURL(join(ROOT, 'dist')).href}/`;

  const loaded = (args: string[]) => {
    const log = join(p.dir, 'loaded.txt');
    const hook = `import { registerHooks } from 'node:module'; import { appendFileSync } from 'node:fs';
      registerHooks({ load(url, ctx, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, ctx); } });`;
    p.remove('loaded.txt');
    const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(hook)}`, join(ROOT, 'bin/tidemark.mjs'), ...args], {
      cwd: p.dir,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    return readFileSync(log, 'utf8').trim().split('\n');
  };

  it('migrate up and status load neither ts-morph, TypeScript, the entities nor the differ', () => {
    p.write('entities/User.ts', USER_V3).write('entities/Project.ts', PROJECT);
    p.ok(['gen-migration', '-m', 'init']);
    for (const args of [['migrate', 'up'], ['migrate', 'status']]) {
      const urls = loaded(args);
      expect(urls.some((u) => u.startsWith(projectMigrations))).toBe(true);
      expect(urls.filter((u) => /ts-morph|typescript|\/entities\//.test(u))).toEqual([]);
      const ours = urls.filter((u) => u.startsWith(dist));
      expect(ours.length).toBeGreaterThan(0);
      for (const u of ours) {
        const code = readFileSync(fileURLToPath(u), 'utf8');
        expect(code, u).not.toMatch(/function diff\(|function snapshotFromEntities\(|function emitMigration\(/);
      }
    }
  });

  it('gen-migration trusts the sealed schema cache without importing the history, and replays it when a file changed', () => {
    p.write('entities/User.ts', USER_V3.replace('age?: number;', 'age?: number;\n\n  @Property({ nullable: true })\n  sealed?: string;'));
    expect(cachedSchema(p)?.seal).toMatch(/^sha256:/);
    const fast = loaded(['gen-migration', '-m', 'sealed']);
    expect(fast.filter((u) => u.startsWith(projectMigrations))).toEqual([]);
    const first = p.migrations()[0]!;
    p.write(`migrations/${first}`, `${p.read(`migrations/${first}`)}\n// a comment changes the checksum\n`);
    p.write('entities/User.ts', USER_V3.replace('age?: number;', 'age?: number;\n\n  @Property({ nullable: true })\n  sealed?: string;\n\n  @Property({ nullable: true })\n  more?: string;'));
    const slow = loaded(['gen-migration', '-m', 'more']);
    expect(slow.some((u) => u.startsWith(`${projectMigrations}${first}`))).toBe(true);
  });

  it('(control) gen-migration loads the entities and the differ, so the checks above can fail', () => {
    p.write(
      'entities/User.ts',
      USER_V3.replace('age?: number;', 'age?: number;\n\n  @Property({ nullable: true })\n  sealed?: string;\n\n  @Property({ nullable: true })\n  more?: string;\n\n  @Property({ nullable: true })\n  nickname?: number;'),
    );
    const urls = loaded(['gen-migration', '-m', 'nickname']);
    expect(urls.some((u) => u.includes('/entities/'))).toBe(true);
    const ours = urls.filter((u) => u.startsWith(dist));
    expect(ours.some((u) => /function diff\(/.test(readFileSync(fileURLToPath(u), 'utf8')))).toBe(true);
    // ts-morph itself runs in the emitter process, not here.
    expect(urls.filter((u) => u.includes('ts-morph/dist'))).toEqual([]);
  });
});
