import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ResolvedConfig } from '../config.ts';
import { diff, type RenameHints } from '../diff/diff.ts';
import type { Op } from '../diff/ops.ts';
import { EntityError, HistoryError } from '../errors.ts';
import { loadHistory, recordAll } from '../history/history.ts';
import { replay, schemaAt } from '../history/replay.ts';
import { EntityMappingError, snapshotFromEntities } from '../metadata/from-mikro-orm.ts';
import { plan, type MigrationPlan } from '../plan/plan.ts';
import { sameJson } from '../schema/normalize.ts';
import { readSnapshot, serializeSnapshot, writeFileAtomic } from '../snapshot/store.ts';
import { startEmitter, type Emitter } from '../../codegen/emitter.ts';
import { loadEntities } from './entities.ts';

export type GenerateResult =
  | { kind: 'noChanges' }
  /** `check` found differences; nothing was written. */
  | { kind: 'changes'; ops: Op[] }
  | { kind: 'written'; id: string; file: string; plan: MigrationPlan };

export interface GenerateOptions {
  message: string;
  /** Write a migration with empty `up`/`down` for hand-written changes. */
  empty?: boolean;
  /** Compare only: write nothing. */
  check?: boolean;
  renames?: RenameHints;
  /** The clock that stamps the id (injected so output is reproducible). */
  now?: () => Date;
}

export async function generateMigration(config: ResolvedConfig, options: GenerateOptions): Promise<GenerateResult> {
  const emitter = options.check ? undefined : startEmitter();
  try {
    return await generate(config, options, emitter);
  } finally {
    emitter?.close();
  }
}

// TIDEMARK_TIMING=1 prints how long each phase took (ms since the process started).
const mark = process.env.TIDEMARK_TIMING ? (what: string) => process.stderr.write(`[timing] ${performance.now().toFixed(1).padStart(7)} ms ${what}\n`) : () => {};

async function generate(config: ResolvedConfig, options: GenerateOptions, emitter: Emitter | undefined): Promise<GenerateResult> {
  const show = (p: string) => relative(process.cwd(), p) || p;
  mark('generate: start');
  const history = await loadHistory(config.migrationsDir, process.cwd());
  const heads = history.heads();
  if (heads.length > 1) {
    throw new HistoryError(`the history has ${heads.length} heads (${heads.join(', ')}): merge them before generating a new migration`);
  }
  const head = heads[0] ?? null;
  const prev = schemaAt(replay(history, await recordAll(history)), head);
  mark('history loaded and replayed');
  const stored = readSnapshot(config.snapshotFile, show(config.snapshotFile));
  if (stored && !sameJson(stored, prev)) {
    throw new HistoryError(
      `${show(config.snapshotFile)} does not match the migrations (head ${head ?? 'none'}): it was edited or merged by hand; delete it and run gen-migration again to recompute it`,
    );
  }

  let next;
  try {
    const classes = await loadEntities(config, emitter);
    mark('entities loaded');
    next = { ...(await snapshotFromEntities(classes)), head };
    mark('metadata discovered');
  } catch (error) {
    if (error instanceof EntityMappingError) throw new EntityError(error.message);
    throw error;
  }
  const ops = options.empty ? [] : diff(prev, next, options.renames);
  if (ops.length === 0 && !options.empty) return { kind: 'noChanges' };
  if (options.check) return { kind: 'changes', ops };

  const { migrationId, stamp, afterStamp } = await import('../../codegen/naming.ts');
  let now = (options.now ?? (() => new Date()))();
  // Ids must sort after every existing one, even when two are made within the same second.
  const newest = history.order.reduce((a, b) => (a > b ? a : b), '');
  if (newest && stamp(now) <= newest.slice(0, 14)) now = afterStamp(newest.slice(0, 14));
  const id = migrationId(now, options.message);
  const file = join(config.migrationsDir, `${id}.ts`);
  if (existsSync(file)) throw new HistoryError(`${show(file)} already exists`);

  const p = plan(prev, ops);
  mark('diffed and planned');
  const code = await emitter!.emit({ id, parents: head ? [head] : [], message: options.message, up: p.up, down: p.down, warnings: p.warnings });
  mark('emitted');
  writeFileAtomic(file, code);
  writeFileAtomic(config.snapshotFile, serializeSnapshot({ ...p.after, head: id }));
  mark('written');
  return { kind: 'written', id, file, plan: p };
}
