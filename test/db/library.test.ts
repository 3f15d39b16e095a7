import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { migrateDown, migrateUp } from '../../src/api.ts';
import { InterruptedError } from '../../src/errors.ts';
import { TestProject } from '../e2e/project.ts';
import { ids, observe, trialDatabase, writeChain } from './runner-fixtures.ts';
import { unavailable } from './servers.ts';

/**
 * The library embedded in a program (src/api.ts, in this process): no signal handlers, no
 * process.exit, no state shared between two runs, cancellation by AbortSignal, results as data.
 */
const skipPg = await unavailable('postgresql');

describe('migrateUp/migrateDown as a library', () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });
  const listeners = () => ({ SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') });
  let exit: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    exit = vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      throw new Error(`process.exit(${code}) called by the library`);
    }) as never);
  });
  afterEach(() => {
    expect(exit).not.toHaveBeenCalled();
    exit.mockRestore();
  });

  function project(n = 3) {
    const p = new TestProject(null as never);
    cleanups.push(() => p.dispose());
    // The SQLite pause (a recursive CTE) runs on every dialect: one set of files for both databases.
    writeChain(p, 'sqlite', n);
    return p;
  }
  const inputs = (p: TestProject, url: string) => ({ inline: { entities: [], migrations: './migrations' }, cwd: p.dir, url });

  it.skipIf(Boolean(skipPg))('two runs at once, SQLite and PostgreSQL, from the same files: both apply everything; no signal handler is installed', async () => {
    const p = project();
    const sqlite = await trialDatabase('sqlite', p, 'concurrent');
    const pg = await trialDatabase('postgresql', p);
    cleanups.push(pg.drop);
    const idle = listeners();
    const during: ReturnType<typeof listeners>[] = [];
    const seen: string[] = [];
    // The synchronisation point: SQLite's first migration waits, under way, until PostgreSQL's
    // has started, so both runs are inside a migration at the same time.
    let pgStarted!: () => void;
    const barrier = new Promise<void>((resolve) => (pgStarted = resolve));
    const onMigration = (db: string) => async (e: { id: string; phase: string }) => {
      during.push(listeners());
      seen.push(`${db} ${e.phase} ${e.id}`);
      if (db === 'postgresql' && e.phase === 'start') pgStarted();
      if (db === 'sqlite' && e.phase === 'start' && e.id === ids(3)[0]) await barrier;
    };
    const [a, b] = await Promise.all([
      migrateUp({ ...inputs(p, sqlite.url), onMigration: onMigration('sqlite') }),
      migrateUp({ ...inputs(p, pg.url), onMigration: onMigration('postgresql') }),
    ]);
    expect(a.ran).toEqual(ids(3));
    expect(b.ran).toEqual(ids(3));
    for (const r of [a, b]) {
      expect(r.timings.map((t) => t.id)).toEqual(ids(3));
      for (const t of r.timings) expect(t.ms).toBeGreaterThan(0);
      expect(r.status.pending).toEqual([]);
    }
    const at = (s: string) => seen.indexOf(s);
    expect(at(`sqlite start ${ids(3)[0]}`)).toBeLessThan(at(`postgresql start ${ids(3)[0]}`));
    expect(at(`postgresql start ${ids(3)[0]}`)).toBeLessThan(at(`sqlite done ${ids(3)[0]}`));
    expect(during.length).toBe(12);
    for (const d of during) expect(d).toEqual(idle);
    for (const db of [sqlite, pg]) {
      const seenDb = await observe(db.url, db === sqlite ? 'sqlite' : 'postgresql', p.dir);
      expect(seenDb.tables).toEqual(['t1', 't2', 't3']);
      expect(seenDb.rows.map((r) => r.name)).toEqual(ids(3));
    }
    // And back down, at once too.
    const [c, d] = await Promise.all([migrateDown({ ...inputs(p, sqlite.url), to: 'base' }), migrateDown({ ...inputs(p, pg.url), to: 'base' })]);
    expect(c.ran).toEqual([...ids(3)].reverse());
    expect(d.ran).toEqual([...ids(3)].reverse());
    expect(listeners()).toEqual(idle);
  });

  for (const target of ['sqlite', 'postgresql'] as const) {
    it.skipIf(target === 'postgresql' && Boolean(skipPg))(`${target}: an AbortSignal aborted as the first migration finishes stops the run there (each: it stays; all: its batch rolls back)`, async () => {
      for (const mode of ['each', 'all'] as const) {
        const p = project();
        const db = await trialDatabase(target, p, `abort-${mode}`);
        cleanups.push(db.drop);
        const controller = new AbortController();
        const started: string[] = [];
        const error = await migrateUp({
          ...inputs(p, db.url),
          transaction: mode,
          signal: controller.signal,
          // The synchronisation point: the first migration has run, the second has not started.
          onMigration: (e) => {
            if (e.phase === 'start') started.push(e.id);
            else if (e.id === ids(3)[0]) controller.abort();
          },
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InterruptedError);
        const kept = mode === 'each' ? [ids(3)[0]] : [];
        expect((error as InterruptedError).done).toEqual(kept);
        expect((error as Error).message).toMatch(/^stopped by its AbortSignal: .*run the command again to continue$/);
        expect(started).toEqual([ids(3)[0]]);
        const seen = await observe(db.url, target, p.dir);
        expect(seen.rows.map((r) => r.name)).toEqual(kept);
        expect(seen.tables).toEqual(kept.length ? ['t1'] : []);
        // The lock was released: the next run goes on from there.
        const rest = await migrateUp({ ...inputs(p, db.url), lockTimeoutMs: 2000 });
        expect(rest.ran).toEqual(ids(3).filter((id) => !kept.includes(id)));
      }
    });
  }

  it('a signal already aborted changes nothing; the reason SIGTERM is named and gives exit code 143', async () => {
    const p = project(2);
    const db = await trialDatabase('sqlite', p, 'pre-aborted');
    const controller = new AbortController();
    controller.abort('SIGTERM');
    const error = await migrateUp({ ...inputs(p, db.url), signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).exitCode).toBe(143);
    expect((error as Error).message).toBe('stopped by SIGTERM: nothing changed; run the command again to continue');
    expect((await observe(db.url, 'sqlite', p.dir)).rows).toEqual([]);
    expect((await migrateUp(inputs(p, `sqlite:${join(p.dir, 'pre-aborted.db')}`))).ran).toEqual(ids(2));
  });
});
