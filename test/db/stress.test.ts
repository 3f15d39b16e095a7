import { afterAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { TestProject } from '../e2e/project.ts';
import { dropTable, observe, start, trialDatabase, trials, writeChain } from './runner-fixtures.ts';
import { unavailable, type ServerKind } from './servers.ts';

/**
 * Deploys in production: several instances start at once, and processes die mid-run.
 * Real OS processes against real databases, a bounded number of trials here (more with
 * TIDEMARK_STRESS_TRIALS=n). Every trial's findings go to the test log.
 */
const PROCESSES = 8;
const targets: DialectName[] = ['sqlite', 'postgresql', 'mariadb'];

for (const target of targets) {
  const skip = target === 'sqlite' ? undefined : await unavailable(target as ServerKind);
  describe.skipIf(Boolean(skip))(`runs racing and dying on ${target}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const projects: TestProject[] = [];
    afterAll(() => projects.forEach((p) => p.dispose()));

    it(`${PROCESSES} processes migrate at once: each migration applied exactly once`, async () => {
      const n = trials(3);
      const codes: Record<string, number> = {};
      for (let trial = 0; trial < n; trial++) {
        const p = new TestProject();
        projects.push(p);
        const chain = writeChain(p, target);
        const db = await trialDatabase(target, p);
        const runs = Array.from({ length: PROCESSES }, () => start(p, ['migrate', 'up', '--url', db.url, '--lock-timeout', '60']));
        const outcomes = await Promise.all(runs.map((r) => r.done));
        for (const o of outcomes) {
          codes[String(o.code)] = (codes[String(o.code)] ?? 0) + 1;
          // 0, or the documented lock-timeout code; never a failed migration.
          expect([0, 75], o.stderr).toContain(o.code);
        }
        const applied = outcomes.flatMap((o) => [...o.stdout.matchAll(/^applied +(\d{14}_\S+) in /gm)].map((m) => m[1]));
        expect(applied.sort(), 'each migration ran in exactly one process').toEqual(chain);
        const seen = await observe(db.url, target, p.dir);
        expect(seen.rows).toEqual(chain.map((name) => ({ name, status: 'applied' })));
        expect(seen.tables).toEqual(['t1', 't2', 't3', 't4', 't5']);
        await db.drop();
      }
      console.info(`[stress] ${target}: ${n} trials × ${PROCESSES} concurrent 'migrate up', exit codes ${JSON.stringify(codes)}, every migration applied exactly once`);
    });

    it('SIGKILL at random moments, then a rerun: no migration recorded without its effect, none with its effect unrecorded', async () => {
      const n = trials(6);
      const findings: string[] = [];
      for (let trial = 0; trial < n; trial++) {
        const p = new TestProject();
        projects.push(p);
        const chain = writeChain(p, target);
        const db = await trialDatabase(target, p);
        const run = start(p, ['migrate', 'up', '--url', db.url]);
        // A synchronisation point, not a guessed delay: the run says which migration it starts,
        // and the kill lands in a migration drawn at random (or just after it, if it was quick).
        const victim = chain[Math.floor(Math.random() * chain.length)]!;
        const reached = await run.seen(new RegExp(`^applying +${victim}`, 'm'));
        if (reached) run.kill('SIGKILL');
        const first = await run.done;
        const after = await observe(db.url, target, p.dir);
        const applied = after.rows.filter((r) => r.status === 'applied').map((r) => r.name);
        const interrupted = after.rows.filter((r) => r.status !== 'applied').map((r) => r.name);
        const tableOf = (id: string) => `t${chain.indexOf(id) + 1}`;
        // Everything recorded as applied has its table.
        for (const id of applied) expect(after.tables, `${id} recorded without its effect`).toContain(tableOf(id));
        if (target === 'mariadb') {
          // Without transactional DDL the migration that was running may be half done: it is
          // recorded as such, and a person resolves it. Nothing else is out of step.
          expect(interrupted.length).toBeLessThanOrEqual(1);
          const unrecorded = after.tables.filter((t) => !applied.map(tableOf).includes(t));
          expect(unrecorded.every((t) => interrupted.map(tableOf).includes(t)), `tables without a record: ${unrecorded}`).toBe(true);
          if (interrupted.length) {
            const refused = await start(p, ['migrate', 'up', '--url', db.url]).done;
            expect(refused.code).toBe(1);
            expect(refused.stderr).toContain(`migration ${interrupted[0]} was interrupted`);
            await dropTable(db.url, p.dir, tableOf(interrupted[0]!));
            const resolved = await start(p, ['migrate', 'resolve', interrupted[0]!, '--rolled-back', '--url', db.url]).done;
            expect(resolved.code, resolved.stderr).toBe(0);
          }
        } else {
          expect(interrupted).toEqual([]);
          // All or nothing: the batch either committed or left no trace.
          expect(after.tables).toEqual(applied.map(tableOf).sort());
        }
        const rerun = await start(p, ['migrate', 'up', '--url', db.url, '--lock-timeout', '10']).done;
        expect(rerun.code, `rerun after a kill in ${victim}: ${rerun.stderr}`).toBe(0);
        const final = await observe(db.url, target, p.dir);
        expect(final.rows).toEqual(chain.map((name) => ({ name, status: 'applied' })));
        expect(final.tables).toEqual(['t1', 't2', 't3', 't4', 't5']);
        findings.push(`kill in ${victim} (${first.signal ?? `exit ${first.code}`}): ${applied.length} applied${interrupted.length ? `, ${interrupted[0]} interrupted → resolved` : ''}; rerun completed`);
        await db.drop();
      }
      const killed = findings.filter((f) => f.includes('(SIGKILL)')).length;
      console.info(`[stress] ${target}: ${n} SIGKILL trials (${killed} killed mid-run, ${n - killed} finished first):\n  ${findings.join('\n  ')}`);
    });
  });
}

