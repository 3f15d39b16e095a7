import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, USER_V1 } from './project.ts';

/** Resolves once the files in `dir` satisfy `ready` (false if `limitMs` passes first). */
function filesBecome(dir: string, ready: (files: string[]) => boolean, limitMs: number): Promise<boolean> {
  const present = () => ready(readdirSync(dir));
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
    // Blobs of other Node versions from long ago: only the newest few are kept.
    const old = Array.from({ length: 5 }, (_, i) => `emitter-v22.0.${i}-000000000000000${i}.blob`);
    for (const [i, f] of old.entries()) {
      writeFileSync(join(cache, f), 'old');
      utimesSync(join(cache, f), new Date(2026, 0, 1 + i), new Date(2026, 0, 1 + i));
    }
    p.write('entities/User.ts', USER_V1);
    const first = p.run(['gen-migration', '-m', 'init'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/emitted in the helper process, started loading ts-morph \(its startup snapshot is being built for next time\)/);
    const [file] = p.migrations();
    const written = p.read(`migrations/${file}`);

    const isNew = (f: string) => /^emitter-v[\d.]+-[0-9a-f]{16}\.blob$/.test(f) && !old.includes(f);
    const built = await filesBecome(cache, (files) => files.some(isNew) && files.filter((f) => f.endsWith('.blob')).length === 4, 90_000);
    expect(built, `in ${cache}: ${readdirSync(cache).join(', ')}`).toBe(true);
    expect(readdirSync(cache).filter((f) => old.includes(f)).sort()).toEqual(old.slice(2));

    p.remove('migrations');
    const second = p.run(['gen-migration', '-m', 'init'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/emitted in the helper process, started from its startup snapshot .*\.blob/);
    expect(p.read(`migrations/${file}`)).toBe(written);
    expect(existsSync(join(p.dir, 'migrations', file!))).toBe(true);
  });
});
