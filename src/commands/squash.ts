import { rmSync } from 'node:fs';
import { startEmitter } from '../../codegen/emitter.ts';
import type { ResolvedConfig } from '../config.ts';
import { diff } from '../diff/diff.ts';
import { HistoryError, TargetError } from '../errors.ts';
import { firstLine, type History } from '../history/history.ts';
import { schemaAt } from '../history/replay.ts';
import { resolveId, slugOf } from '../history/resolve-id.ts';
import { plan } from '../plan/plan.ts';
import type { Step } from '../runtime/data.ts';
import { normalizeSchema } from '../schema/normalize.ts';
import { emptySchema, type SchemaSnapshot } from '../schema/types.ts';
import { loadState } from './state.ts';
import { writeMigration } from './write-migration.ts';

export interface SquashOptions {
  /** The last migration of the prefix to squash (id, prefix, slug or `head`). */
  to: string;
  message?: string;
  now?: () => Date;
}

export interface SquashResult {
  id: string;
  file: string;
  /** The migrations the new one stands for, in history order. */
  replaces: string[];
  /** Replaced migrations with hand-written SQL or data steps, which the squash does not carry. */
  notCarried: { id: string; file: string; steps: number }[];
}

/**
 * Writes one migration standing for `to` and everything before it (`static replaces`): its
 * up() builds that stretch's schema from nothing, its down() drops it. Databases that applied
 * some or all of the replaced migrations keep working (squash-view.ts); once every database is
 * past them, their files can go.
 */
export async function squashHistory(config: ResolvedConfig, options: SquashOptions): Promise<SquashResult> {
  const state = await loadState(config);
  const { history } = state;
  const what = `squash --to ${options.to}`;
  const last = history.resolve(options.to) ?? resolveId(history.order, options.to, what, history.heads());
  const range = history.lineage(last);
  // An older squash in the range brings what it replaces along: a database that recorded those
  // (not the older squash) is recognised, and reverting the new squash forgets their rows too.
  const flatten = (id: string): string[] => [...(history.file(id)?.replaces ?? []).flatMap(flatten), id];
  const replaces = [...new Set(range.flatMap(flatten))];
  if (range.length < 2) throw new TargetError(`${what}: ${last} is the first migration, there is nothing to squash into it; name a later one`);
  refuseOpenRange(history, last, new Set(range), what);

  const notCarried: SquashResult['notCarried'] = [];
  for (const id of range) {
    const node = history.get(id)!;
    let steps: Step[];
    try {
      steps = await (node.migration as unknown as { recordSteps(m: 'up'): Promise<Step[]> }).recordSteps('up');
    } catch (error) {
      throw new HistoryError(`migration ${id} (${node.file}): up() failed without a database: ${firstLine(error)}`);
    }
    const handWritten = steps.filter((s) => s.kind === 'sql' || s.kind === 'data').length;
    if (handWritten) notCarried.push({ id, file: node.file, steps: handWritten });
  }

  const target = schemaAt(state.states, last);
  const p = plan(emptySchema(), diff(emptySchema(), target));
  if (!sameSchema(p.after, target)) throw new HistoryError(`${what}: the operations built from an empty schema do not reproduce the schema at ${last}; nothing was written`);

  const emitter = startEmitter();
  let written: { id: string; file: string };
  try {
    const message = options.message?.trim() || `squash ${slugOf(last) ?? last}`;
    const notes = [
      [
        `Stands for ${range.length} migrations, ${range[0]} to ${last} (static replaces):`,
        'a database that applied none of them runs this one, one that applied them all has it applied,',
        'one part-way through carries on with their files. Delete those files once every database is past them.',
      ].join('\n'),
      ...(notCarried.length
        ? [`Not carried over (hand-written SQL and data steps; a fresh database will not run them):\n${notCarried.map((n) => `- ${n.id}: ${n.steps} step(s)`).join('\n')}`]
        : []),
    ];
    // A history shows either the squash or what it replaces, never both: the labels move with no clash.
    const branchLabels = range.flatMap((id) => [...(history.get(id)!.branchLabels ?? [])]);
    written = await writeMigration(config, state.newest, emitter, { message, parents: [], replaces, branchLabels, notes, plan: p, after: state.schema, now: options.now, command: 'squash' });
  } finally {
    emitter.close();
  }
  // The heads keep their schema: read back, replayed and cached as the files now say.
  try {
    const after = await loadState(config);
    if (!sameSchema(after.schema, state.schema)) throw new HistoryError(`the history's schema changed`);
  } catch (error) {
    rmSync(written.file, { force: true });
    await loadState(config).catch(() => undefined);
    throw new HistoryError(`${what}: the written squash did not check out (${firstLine(error)}); it was removed, nothing changed`);
  }
  return { ...written, replaces, notCarried };
}

/**
 * A squash is one node: a migration outside the range may follow `last`, but one that follows
 * any other migration of the range, without following `last` too, is a branch starting inside
 * it, which the squash would cut. (After `last`, naming another migration of the range says
 * nothing more: it means the squash, exactly.)
 */
function refuseOpenRange(history: History, last: string, range: ReadonlySet<string>, what: string): void {
  const branches: string[] = [];
  const after = new Set([last]);
  for (const id of history.order) {
    if (range.has(id)) continue;
    const node = history.get(id)!;
    const before = [...node.parents, ...(node.dependsOn ?? [])];
    if (before.some((p) => after.has(p))) {
      after.add(id);
      continue;
    }
    for (const p of before) if (range.has(p)) branches.push(`${id} follows ${p}`);
  }
  if (branches.length) {
    throw new HistoryError(
      `${what}: the history branches inside the range (${branches.join('; ')}): merge those branches past ${last} first ('tidemark merge'), or squash to an earlier migration; nothing was written`,
    );
  }
}

function sameSchema(a: SchemaSnapshot, b: SchemaSnapshot): boolean {
  const plain = (s: SchemaSnapshot) => JSON.stringify({ ...normalizeSchema(s), head: null });
  return plain(a) === plain(b);
}
