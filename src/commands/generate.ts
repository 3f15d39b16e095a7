import type { ResolvedConfig } from '../config.ts';
import { diff, type RenameHints } from '../diff/diff.ts';
import type { Op } from '../diff/ops.ts';
import { EntityError, HistoryError, TidemarkError, UsageError } from '../errors.ts';
import { EntityMappingError, snapshotFromEntities } from '../metadata/from-mikro-orm.ts';
import { acceptedDataLoss, refused, type Allowance } from '../plan/gate.ts';
import type { Warning } from '../plan/lint.ts';
import { plan, type MigrationPlan } from '../plan/plan.ts';
import type { DialectName } from '../dialect/dialect.ts';
import { configuredTables, leftOut, managedSchema } from '../schema/table-filter.ts';
import type { SchemaSnapshot } from '../schema/types.ts';
import { startEmitter, type Emitter } from '../../codegen/emitter.ts';
import { loadEntities } from './entities.ts';
import { applicableHints, mergeHints, renameQuestions, type RenameQuestion } from './renames.ts';
import { loadState, multipleHeads, sealedState, show, type HeadState, type ProjectState } from './state.ts';
import { badLabel, recordAll, type History } from '../history/history.ts';
import { schemaOfApplied } from '../history/replay.ts';
import { applyOps, ReplayError } from '../schema/apply.ts';
import { nextMigrationId, writeMigration } from './write-migration.ts';
import { splitOnline } from '../plan/online.ts';
import { legacySnapshotNotice } from '../snapshot/store.ts';

export type GenerateResult =
  | { kind: 'noChanges' }
  /** `check` found differences; nothing was written. */
  | { kind: 'changes'; ops: Op[] }
  /**
   * `online`: the second migration gen-migration wrote, after the first, with the online steps
   * (outside a transaction). When every change was online, the one migration written is that.
   */
  | { kind: 'written'; id: string; file: string; plan: MigrationPlan; transactional: boolean; online?: { id: string; file: string; plan: MigrationPlan } };

export interface GenerateOptions {
  message: string;
  /** Write a migration with empty `up`/`down` for hand-written changes. */
  empty?: boolean;
  /** Compare only: write nothing. */
  check?: boolean;
  /** Renames stated on the command line (those stated with `@RenamedFrom` are read from the entities). */
  renames?: RenameHints;
  /** Drops that look like renames but are not (`table` or `table.column`). */
  notRenamed?: string[];
  /** Asked about each drop-and-add that looks like a rename when nobody said; without it, such a diff is refused. */
  ask?: (question: RenameQuestion) => Promise<boolean>;
  /** Destructive changes allowed into the migration. */
  allow?: Allowance;
  /**
   * Drops whose deleted rows the migration accepts (`TM101:<table>`, `TM102:<table>.<column>`):
   * written into it as `{ dataLoss: 'accepted' }`, so `migrate up` does not refuse them for
   * holding rows. Implies `allow` for those changes.
   */
  allowDataLoss?: string[];
  /** The clock that stamps the id (injected so output is reproducible). */
  now?: () => Date;
  /**
   * Where the migration goes: a head's id, a branch label (`billing`, `billing@head`), or
   * `base` for a new base. Needed when the history has several heads; another migration than a
   * head starts a branch, with `branchLabels`.
   */
  head?: string;
  /** Labels for the branch the new migration starts or carries (`static branchLabels`). */
  branchLabels?: string[];
  /** Migrations of other branches the new one needs applied first, without merging (`static dependsOn`). */
  dependsOn?: string[];
  /** Told, in one line, what of the entities' schema the config's `tables` leaves out. */
  onNotice?: (line: string) => void;
  /**
   * `false` (`--no-online`): changes to existing tables are written plainly, in one migration,
   * instead of in their online form; the config's `onlineForms: false` does the same always.
   */
  online?: boolean;
}

/** A drop and an add that may be a rename, with nobody saying which. */
export class RenameAmbiguityError extends TidemarkError {
  override name = 'RenameAmbiguityError';
}

/** The change would lose data and was not allowed. */
export class DestructiveChangeError extends TidemarkError {
  override name = 'DestructiveChangeError';
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

/**
 * The schema the entities describe, less the tables the config's `tables` leaves out (and
 * foreign keys to them), and the renames stated on them.
 */
export async function entitySchema(config: ResolvedConfig, onNotice?: (line: string) => void): Promise<{ schema: SchemaSnapshot; renames: RenameHints }> {
  try {
    const classes = await loadEntities(config);
    mark('entities loaded');
    const described = await snapshotFromEntities(classes);
    const managed = configuredTables(config);
    const out = leftOut(described.schema, managed);
    if (out.length && onNotice) onNotice(`left out of the migration, not managed ('tables' in ${config.configFile ? show(config.configFile) : 'the config'}): ${out.join(', ')}`);
    return { ...described, schema: managedSchema(described.schema, managed) };
  } catch (error) {
    if (error instanceof EntityMappingError) throw new EntityError(error.message);
    throw error;
  }
}

/** The operations from the history's schema to the entities', with every rename decided. */
export async function pendingChanges(state: HeadState, next: { schema: SchemaSnapshot; renames: RenameHints }, options: GenerateOptions): Promise<Op[]> {
  checkStatedRenames(state.schema, options.renames ?? {});
  let hints = mergeHints(applicableHints(state.schema, next.renames), options.renames ?? {});
  const denied = new Set(options.notRenamed ?? []);
  for (;;) {
    const ops = diff(state.schema, next.schema, hints);
    const questions = renameQuestions(state.schema, ops, denied);
    if (questions.length === 0) return ops;
    if (!options.ask) {
      const q = questions[0]!;
      throw new RenameAmbiguityError(
        `${q.description}: if it was renamed, pass --rename ${q.answer}; if not, pass --no-rename ${q.denial} (its data would be dropped)${questions.length > 1 ? `; ${questions.length - 1} more like it` : ''}`,
      );
    }
    for (const q of questions) {
      if (await options.ask(q)) hints = mergeHints(hints, parseHint(q.answer));
      else denied.add(q.denial);
    }
  }
}

/** A `--rename` must name a table or column that exists and a new name that does not. */
function checkStatedRenames(prev: SchemaSnapshot, hints: RenameHints): void {
  const usable = applicableHints(prev, hints);
  for (const [from, to] of Object.entries(hints.tables ?? {})) {
    if (!usable.tables?.[from]) throw new UsageError(`--rename ${from}=${to}: the history has no table '${from}', or already has '${to}'`);
  }
  for (const [key, to] of Object.entries(hints.columns ?? {})) {
    if (!usable.columns?.[key]) throw new UsageError(`--rename ${key}=${to}: the history has no column '${key}', or the table already has '${to}'`);
  }
}

function parseHint(answer: string): RenameHints {
  const [from, to] = answer.split('=') as [string, string];
  return from.includes('.') ? { columns: { [from]: to } } : { tables: { [from]: to } };
}

async function generate(config: ResolvedConfig, options: GenerateOptions, emitter: Emitter | undefined): Promise<GenerateResult> {
  mark('generate: start');
  const placing = Boolean(options.head || options.branchLabels?.length || options.dependsOn?.length);
  // Placing by label or dependency needs the history itself, not only the sealed head state.
  const state = (placing ? undefined : sealedState(config)) ?? (await loadState(config));
  mark('history loaded and replayed');
  if (!options.check && options.onNotice) {
    const legacy = legacySnapshotNotice(config, show);
    if (legacy) options.onNotice(legacy);
  }
  // --check compares with every head together and places nothing.
  const where = options.check ? undefined : placement(state, options);
  const next = await entitySchema(config, options.onNotice);
  mark('metadata discovered');
  // Tables tidemark does not manage are out of the diff on both sides: never created, never dropped.
  const ops = options.empty ? [] : await pendingChanges({ ...state, schema: managedSchema(state.schema, configuredTables(config)) }, next, options);
  if (ops.length === 0 && !options.empty) return { kind: 'noChanges' };
  if (options.check) return { kind: 'changes', ops };

  // Locks are classified for the configured database's dialect; without a URL, for both servers that have online forms.
  const dialects: DialectName[] = config.url ? [config.url.dialect] : ['postgresql', 'mariadb'];
  let p = plan(state.schema, ops, dialects);
  const losses = acceptedDataLoss(p.warnings, options.allowDataLoss ?? []);
  if (losses.malformed.length) {
    throw new UsageError(`--allow-data-loss ${losses.malformed[0]}: expected TM101:<table> or TM102:<table>.<column>`);
  }
  if (losses.unknown.length) {
    const drops = p.warnings.filter((w) => w.code === 'TM101' || w.code === 'TM102').map((w) => `${w.code}:${w.target}`);
    throw new UsageError(`--allow-data-loss ${losses.unknown[0]}: this migration has no such drop (${drops.length ? `it has ${drops.join(', ')}` : 'it drops nothing'}); nothing was written`);
  }
  p = { ...p, up: acknowledge(p.up, losses.accepted) };
  const accepted = new Set(losses.accepted);
  const blocked = refused(p.warnings, options.allow).filter((w) => !accepted.has(w));
  if (blocked.length) {
    const list = blocked.map((w) => `${w.code} ${w.message}`).join(', ');
    const each = blocked.map((w) => `--allow ${w.code}:${w.target}`).join(' ');
    throw new DestructiveChangeError(`the change would lose data or fail on existing rows: ${list}; nothing was written; to go ahead pass --allow-destructive, or ${each}`);
  }
  mark('diffed and planned');
  if (placing) await checkOwnBranch((state as ProjectState).history, where!, p.up);
  const useOnline = options.online !== false && config.onlineForms !== false && config.url?.dialect !== 'sqlite';
  const split = useOnline ? splitOnline(p.up, state.schema) : { main: p.up, online: [] };
  if (split.online.length === 0) {
    const written = await writeMigration(config, state.newest, emitter!, { message: options.message, ...where!, plan: p, after: p.after, now: options.now });
    mark('written');
    return { kind: 'written', ...written, plan: p, transactional: true };
  }
  const now = (options.now ?? (() => new Date()))();
  if (split.main.length === 0) {
    const only = plan(state.schema, split.online, dialects);
    const written = await writeMigration(config, state.newest, emitter!, { message: options.message, ...where!, plan: only, after: only.after, now: () => now, transactional: false });
    mark('written');
    return { kind: 'written', ...written, plan: only, transactional: false };
  }
  const main = plan(state.schema, split.main, dialects);
  const mainId = nextMigrationId(state.newest, now, options.message);
  const onlineId = nextMigrationId(mainId, now, options.message, '_online');
  const online = plan(main.after, split.online, dialects);
  const first = await writeMigration(config, state.newest, emitter!, { message: options.message, ...where!, plan: main, after: main.after, id: mainId, followedBy: onlineId });
  const second = await writeMigration(config, first.id, emitter!, {
    message: `${options.message.trim() || 'migration'} (online steps)`,
    parents: [first.id],
    otherHeads: where!.otherHeads,
    plan: online,
    after: online.after,
    id: onlineId,
    transactional: false,
  });
  mark('written');
  return { kind: 'written', ...first, plan: main, transactional: true, online: { ...second, plan: online } };
}

interface Placement {
  parents: string[];
  branchLabels: string[];
  dependsOn: string[];
  otherHeads: string[];
}

/** The new migration's parents, labels and dependencies, from `--head`, `--branch-label` and `--depends-on`. */
function placement(state: HeadState | ProjectState, options: GenerateOptions): Placement {
  const heads = state.heads;
  const history = 'history' in state ? state.history : undefined;
  let parents: string[];
  if (!options.head) {
    if (heads.length > 1) {
      throw new HistoryError(`${multipleHeads(heads, 'generating a new migration').message}, or pass --head <branch label or id> to add to one branch`);
    }
    parents = heads.slice(0, 1);
  } else if (options.head === 'base') parents = [];
  else {
    const target = resolveTarget(history!, options.head);
    if (!target) throw new UsageError(`--head ${options.head}: no migration or branch label by that name`);
    if (!heads.includes(target) && !options.branchLabels?.length) {
      throw new UsageError(`--head ${options.head}: ${target} is not a head; add --branch-label <name> to start a branch from it`);
    }
    parents = [target];
  }
  const dependsOn = [
    ...new Set(
      (options.dependsOn ?? []).map((d) => {
        const id = resolveTarget(history!, d);
        if (!id) throw new UsageError(`--depends-on ${d}: no migration or branch label by that name`);
        return id;
      }),
    ),
  ];
  const branchLabels = [...new Set(options.branchLabels ?? [])];
  for (const label of branchLabels) {
    const problem = badLabel(label);
    if (problem) throw new UsageError(`--branch-label ${label}: ${problem}`);
    const holder = history!.labels.get(label);
    if (holder) throw new UsageError(`--branch-label ${label}: ${holder} already has that label`);
  }
  return { parents, branchLabels, dependsOn, otherHeads: heads.filter((h) => !parents.includes(h)) };
}

/** A branch label (`billing`, `billing@head`: that branch's head) or an id, prefix or slug. */
function resolveTarget(history: History, given: string): string | undefined {
  const label = given.replace(/@head$/, '');
  if (history.labels.has(label) && !history.get(given)) return history.branchHead(label);
  return history.resolve(given);
}

/**
 * The diff is taken against every head together; the migration must also apply on its own
 * branch (its parents and dependencies), where `migrate up --to <label>@head` runs it.
 */
async function checkOwnBranch(history: History, where: Placement, up: Op[]): Promise<void> {
  const ops = await recordAll(history);
  const start = schemaOfApplied(history, ops, history.closure([...where.parents, ...where.dependsOn], true));
  try {
    applyOps(start, up);
  } catch (error) {
    if (!(error instanceof ReplayError)) throw error;
    throw new HistoryError(
      `the new migration needs what its branch does not have (${error.message}): pass --depends-on <id or label> naming the migration of another branch that makes it; nothing was written`,
    );
  }
}

/** Marks the drops `accepted` names with the acknowledgement the migration file carries. */
function acknowledge(up: Op[], accepted: readonly Warning[]): Op[] {
  const targets = new Set(accepted.map((w) => `${w.code}:${w.target}`));
  return up.map((op) => {
    if (op.kind === 'dropTable' && targets.has(`TM101:${op.table}`)) return { ...op, dataLoss: 'accepted' as const };
    if (op.kind === 'dropColumn' && targets.has(`TM102:${op.table}.${op.column}`)) return { ...op, dataLoss: 'accepted' as const };
    return op;
  });
}
