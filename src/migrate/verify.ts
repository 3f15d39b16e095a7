import type { ResolvedConfig } from '../config.ts';
import { recordAll } from '../history/history.ts';
import { compareSchemas, driftSubject, type Drift } from '../introspect/drift.ts';
import type { PhysicalSchema } from '../introspect/physical.ts';
import { parseDatabaseUrl } from '../url.ts';
import { expectedManagedSchema, liveManagedSchema } from './drift.ts';
import { run, withSession, type Session } from './run.ts';

export interface VerifyReport {
  ok: boolean;
  /** Migrations checked, in history order. */
  checked: string[];
  /** The first step whose result is not the schema the history says. */
  failure?: { id: string; step: 'up' | 'down' | 'up again'; message: string };
}

/**
 * On a scratch database: every migration up, then every one down, then up again, comparing
 * the live schema with the one recomputed from the history after each step. A `down` that
 * does not undo its `up` is named.
 */
export async function verifyHistory(config: ResolvedConfig, options: { url?: string } = {}): Promise<VerifyReport> {
  const url = parseDatabaseUrl(options.url ?? 'sqlite::memory:', process.cwd(), '--url');
  const scratch = { ...config, url };
  // Tables the config's `tables` leaves out (an extension's, say) are neither compared nor a
  // reason to call the scratch database used.
  const live = (s: Session) => liveManagedSchema(s, config);
  // Look before touching: a database with anything in it is refused unchanged.
  if (url.file !== ':memory:') {
    const used = await withSession(scratch, 'read-only', async (s) => s.rows.length > 0 || (await live(s)).tables.length > 0);
    if (used) return { ok: false, checked: [], failure: { id: '', step: 'up', message: `${url.display} is not empty: verify needs a scratch database it may change (the default is SQLite in memory)` } };
  }
  return withSession(scratch, {}, async (s) => {
    const ops = await recordAll(s.history);
    const order = [...s.history.order];
    const steps: ['up' | 'down' | 'up again', string[]][] = [
      ['up', order],
      ['down', [...order].reverse()],
      ['up again', order],
    ];
    for (const [step, ids] of steps) {
      for (const id of ids) {
        const direction = step === 'down' ? 'down' : 'up';
        await run(s, direction, [id], 'each');
        s.executed = direction === 'up' ? [...s.executed, id] : s.executed.filter((x) => x !== id);
        // In a branched history the expected schema is that of everything applied so far.
        const want = expectedManagedSchema(s, config, ops, s.executed);
        const problem = difference(want, await live(s));
        if (problem) {
          const message = step === 'down' ? `down() does not undo up(): ${problem}` : `the schema after up() is not the one the history says: ${problem}`;
          return { ok: false, checked: order, failure: { id, step, message } };
        }
      }
    }
    return { ok: true, checked: order };
  });
}

/** The first difference between two physical schemas, in words; undefined when equal. */
export function difference(want: PhysicalSchema, got: PhysicalSchema): string | undefined {
  const drift = compareSchemas(want, got);
  const tables = (kind: Drift['kind']) => drift.filter((d) => d.object === 'table' && d.kind === kind).map((d) => d.table);
  const extra = tables('extra');
  const missing = tables('missing');
  if (extra.length) return `table ${extra.join(', ')} should not exist`;
  if (missing.length) return `table ${missing.join(', ')} is missing`;
  const d = drift[0];
  if (!d) return undefined;
  const what = driftSubject(d);
  if (d.object === 'column' && d.kind !== 'different') return `${what} ${d.kind === 'extra' ? 'should not exist' : 'is missing'}`;
  if (d.object === 'column') return `${what} is ${d.detail.replace(/^type /, '').replace(/; /g, ', and ')}`;
  if (d.kind === 'extra') return `${what} should not exist: ${d.detail}`;
  if (d.kind === 'missing') return `${what} is missing: ${d.detail}`;
  return `${what} differs: ${d.detail}`;
}
