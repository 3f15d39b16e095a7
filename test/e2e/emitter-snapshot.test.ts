import { existsSync, mkdtempSync, readdirSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, USER_V1 } from './project.ts';

/** Resolves once `dir` holds a file matching `pattern` (false if `limitMs` passes first). */
function fileAppears(dir: string, pattern: RegExp, limitMs: number): Promise<boolean> {
  const present = () => readdirSync(dir).some((f) => pattern.test(f));
  if (present()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const watcher = watch(dir, () => {
      if (present()) done(true);
    });
    const timer = setTimeout(() => done(present()), limitMs);
    const done = (hit: boolean) => {
      watcher.close();
      clearTimeout(timer);
      resolve(hit);
    };
  });
}

/** The emitter's startup snapshot is built on first use (never at install) and used from then on. */
describe('emitter startup snapshot', () => {
  const cache = mkdtempSync(join(tmpdir(), 'tidemark-snapshot-cache-'));
  const p = new TestProject();
  const env = { TIDEMARK_CACHE_DIR: cache, TIDEMARK_TIMING: '1', TIDEMARK_NOW: '2026-12-01T10:00:00Z' };
  afterAll(() => {
    p.dispose();
    rmSync(cache, { recursive: true, force: true });
  });

  it('the first gen-migration builds it in the background; the next starts the emitter from it and writes the same file', async () => {
    p.write('entities/User.ts', USER_V1);
    const first = p.run(['gen-migration', '-m', 'init'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/emitted in the helper process, started loading ts-morph \(its startup snapshot is being built for next time\)/);
    const [file] = p.migrations();
    const written = p.read(`migrations/${file}`);

    expect(await fileAppears(cache, /^emitter-v[\d.]+-[0-9a-f]{16}\.blob$/, 90_000), `no blob in ${cache}: ${readdirSync(cache).join(', ')}`).toBe(true);

    p.remove('migrations');
    const second = p.run(['gen-migration', '-m', 'init'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/emitted in the helper process, started from its startup snapshot .*\.blob/);
    expect(p.read(`migrations/${file}`)).toBe(written);
    expect(existsSync(join(p.dir, 'migrations', file!))).toBe(true);
  });
});
