import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Op } from '../diff/ops.ts';
import { HistoryError, TargetError } from '../errors.ts';
import { loadUserModule } from '../loader/ts-loader.ts';
import type { MigrationClass } from '../runtime/migration.ts';
import { ambiguous, idCandidates, singleHead, type SquashNames } from './resolve-id.ts';
import { squashView } from './squash-view.ts';

export interface MigrationNode {
  id: string;
  parents: readonly string[];
  /** Names for the branch this migration starts or carries (`static branchLabels`), unique in the history. */
  branchLabels?: readonly string[];
  /**
   * Migrations of other branches that must be applied before this one (`static dependsOn`):
   * they order the run and their changes are in this one's starting schema, but they are not
   * parents, so the branches stay separate heads.
   */
  dependsOn?: readonly string[];
  /** The migrations a squash stands for (`static replaces`, written by `tidemark squash`). */
  replaces?: readonly string[];
  /** The file as shown to the user (relative to the working directory). */
  file: string;
  /** SHA-256 of the file with line endings normalised, prefixed by the algorithm's name. */
  checksum: string;
  migration: MigrationClass;
}

export const CHECKSUM_ALGORITHM = 'sha256-lf';

/**
 * What an editor or a checkout changes without anyone editing is not an edit: line endings (a
 * Windows checkout) and a byte-order mark. Any other change counts, whitespace included: a
 * reformatted applied migration is accepted with `migrate resolve <id> --applied`.
 */
export function checksumOf(text: string): string {
  return `${CHECKSUM_ALGORITHM}:${createHash('sha256').update(text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')).digest('hex')}`;
}

/**
 * The migration files as a graph: every node names its parents, so branches and merges are data.
 *
 * A squash (`static replaces`) and the migrations it replaces are two spellings of one stretch
 * of history, and a History holds one of them (see squash-view.ts): the squash, with every
 * reference to a replaced id following the squash instead, or (for a database that applied
 * only some of them, while their files exist) the replaced migrations without the squash.
 */
export class History {
  readonly nodes: ReadonlyMap<string, MigrationNode>;
  /** Parents before children; among unrelated migrations, the older id first. */
  readonly order: readonly string[];
  /** Every file in the folder, whichever spelling this history uses. */
  readonly loaded: readonly MigrationNode[];
  /** A replaced id this history leaves out → the squash that stands for it here. */
  readonly replacedBy: ReadonlyMap<string, string>;
  /** A squash this history leaves out for the old files (a database part-way through it) → the last of them. */
  readonly stoodFor: ReadonlyMap<string, string>;
  /** Why the database this history was made for cannot use it (a squash it is part-way through, whose files are gone). */
  readonly problem?: string;

  /** `nodes`: every migration file; `recorded`: what a database records as applied (none: the history as the files alone say it). */
  constructor(nodes: MigrationNode[], recorded?: Iterable<string>) {
    const seen = new Map<string, MigrationNode>();
    for (const n of nodes) {
      const other = seen.get(n.id);
      if (other) throw new HistoryError(`duplicate migration id '${n.id}' in ${other.file} and ${n.file}`);
      seen.set(n.id, n);
    }
    this.loaded = nodes;
    const view = squashView(nodes, recorded);
    this.replacedBy = view.replacedBy;
    this.stoodFor = view.stoodFor;
    this.problem = view.problem;
    nodes = view.nodes;
    const map = new Map(nodes.map((n) => [n.id, n]));
    const labelled = new Map<string, string>();
    for (const n of nodes) {
      for (const p of n.parents) {
        if (!map.has(p)) throw new HistoryError(`migration ${n.id} (${n.file}) names parent '${p}', which is not in the migrations folder`);
      }
      for (const d of n.dependsOn ?? []) {
        if (!map.has(d)) throw new HistoryError(`migration ${n.id} (${n.file}) depends on '${d}', which is not in the migrations folder`);
      }
      for (const label of n.branchLabels ?? []) {
        const problem = badLabel(label);
        if (problem) throw new HistoryError(`migration ${n.id} (${n.file}) has branch label '${label}': ${problem}`);
        const other = labelled.get(label);
        if (other) throw new HistoryError(`branch label '${label}' is on both ${other} and ${n.id}: a label names one branch`);
        labelled.set(label, n.id);
      }
    }
    this.nodes = map;
    this.labels = labelled;
    this.order = topologicalOrder(nodes);
  }

  /** Branch label → the migration that carries it. */
  readonly labels: ReadonlyMap<string, string>;

  /** This history as a database that records `applied` sees it (see squash-view.ts). */
  forDatabase(applied: Iterable<string>): History {
    if (!this.loaded.some((n) => n.replaces?.length)) return this;
    return new History([...this.loaded], applied);
  }

  /**
   * Recorded ids in this history's terms, in the order they ran: a replaced id stands for its
   * squash (first place kept), a squash counts once, ids of neither kind are kept as they are.
   */
  appliedIds(recorded: readonly string[]): string[] {
    // Part-way through a squash: its records stand for nothing here (the problem says why).
    if (this.problem) return [...recorded];
    return [...new Set(recorded.map((id) => this.canonical(id)))];
  }

  /** The id that stands for `id` in this history (its squash when it is replaced here). */
  canonical(id: string): string {
    let at = id;
    for (let next = this.replacedBy.get(at); next !== undefined; next = this.replacedBy.get(at)) at = next;
    return at;
  }

  /** For resolveId: the ids that name a squash's stretch rather than a migration of this history. */
  get squashNames(): SquashNames {
    return (this.#squashNames ??= {
      replaced: new Map([...this.replacedBy.keys()].map((id) => [id, this.canonical(id)])),
      standIns: new Map([...this.stoodFor.keys()].map((id) => [id, this.#standIn(id)])),
    });
  }

  #squashNames?: SquashNames;

  #standIn(id: string): string {
    let at = id;
    for (let next = this.stoodFor.get(at); next !== undefined; next = this.stoodFor.get(at)) at = this.canonical(next);
    return at;
  }

  /** Any file by id, a replaced migration's included. */
  file(id: string): MigrationNode | undefined {
    return this.nodes.get(id) ?? (this.#files ??= new Map(this.loaded.map((n) => [n.id, n]))).get(id);
  }

  #files?: Map<string, MigrationNode>;

  /**
   * The classes for the runner, in an order that suits either spelling of every squash: each
   * squash's replaced migrations (those with files) just before it.
   */
  runOrder(): MigrationClass[] {
    const byId = new Map(this.loaded.map((n) => [n.id, n]));
    const out: MigrationNode[] = [];
    const placed = new Set<string>();
    const place = (n: MigrationNode) => {
      if (placed.has(n.id)) return;
      placed.add(n.id);
      const replaced = (n.replaces ?? []).map((r) => byId.get(r)).filter((r): r is MigrationNode => r !== undefined);
      for (const id of topologicalOrder(replaced.map((r) => ({ ...r, parents: r.parents.filter((p) => replaced.some((x) => x.id === p)), dependsOn: [] })))) place(byId.get(id)!);
      out.push(n);
    };
    for (const id of this.order) place(this.nodes.get(id)!);
    for (const n of this.loaded) place(n);
    return out.map((n) => n.migration);
  }

  get(id: string): MigrationNode | undefined {
    return this.nodes.get(id);
  }

  /** Migrations no other migration follows. More than one means unmerged branches. */
  heads(): string[] {
    const hasChild = new Set(this.order.flatMap((id) => this.nodes.get(id)!.parents));
    return this.order.filter((id) => !hasChild.has(id));
  }

  /**
   * `id` and everything that must be applied before it, in history order: its ancestors and
   * the migrations it (or any of them) depends on, with their own ancestors.
   */
  lineage(id: string): string[] {
    return this.closure([id], true);
  }

  /** `ids` and their ancestors, following parents and (with `dependencies`) `dependsOn`, in history order. */
  closure(ids: Iterable<string>, dependencies: boolean): string[] {
    const seen = new Set<string>();
    const stack = [...ids];
    while (stack.length) {
      const x = stack.pop()!;
      if (seen.has(x)) continue;
      seen.add(x);
      const n = this.nodes.get(x)!;
      stack.push(...n.parents, ...(dependencies ? (n.dependsOn ?? []) : []));
    }
    return this.order.filter((x) => seen.has(x));
  }

  /** The branch labels a migration carries: its own and those of its ancestors (parents only). */
  labelsOf(id: string): string[] {
    return this.closure([id], false).flatMap((x) => [...(this.nodes.get(x)!.branchLabels ?? [])]);
  }

  /**
   * Several heads are separate branches on purpose (Alembic's labelled branches) when each
   * carries a branch label no other head carries; otherwise they are branches waiting for a merge.
   */
  labelledApart(heads: readonly string[]): boolean {
    const labels = heads.map((h) => new Set(this.labelsOf(h)));
    return labels.every((own, i) => [...own].some((l) => labels.every((other, j) => j === i || !other.has(l))));
  }

  /**
   * The head of the branch `label` names (Alembic's `billing@head`): the one head that has the
   * labelled migration among its ancestors. Undefined when no migration has that label.
   */
  branchHead(label: string): string | undefined {
    const start = this.labels.get(label);
    if (!start) return undefined;
    const heads = this.heads().filter((h) => this.closure([h], false).includes(start));
    if (heads.length !== 1) {
      throw new TargetError(`branch '${label}' has ${heads.length} heads (${heads.join(', ')}): name one of them by id`);
    }
    return heads[0];
  }

  /**
   * Resolves a user-given target: a full id, a unique prefix of one (such as the stamp), its
   * slug, or `head` (the single head). Undefined when nothing matches; an ambiguous one throws,
   * naming the candidates.
   */
  resolve(target: string): string | undefined {
    if (target === 'head' && !this.nodes.has(target)) return singleHead(this.heads(), target);
    const branch = /^(.+)@head$/.exec(target);
    if (branch && !this.nodes.has(target)) return this.branchHead(branch[1]!);
    // A replaced migration's id (from an old note or script) names its squash.
    if (this.replacedBy.has(target)) return this.canonical(target);
    // A squash this database has not reached in one piece ends where its last migration does.
    if (this.stoodFor.has(target)) return this.#standIn(target);
    const matches = idCandidates(this.order, target);
    if (matches.length > 1) throw ambiguous(target, matches);
    return matches[0];
  }
}

/** Why `label` cannot be a branch label, or undefined when it can. */
export function badLabel(label: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(label)) return 'a label is a letter followed by letters, digits, _ or -';
  if (['head', 'heads', 'base'].includes(label)) return `'${label}' is a reserved word`;
  return undefined;
}

function topologicalOrder(nodes: Pick<MigrationNode, 'id' | 'parents' | 'dependsOn'>[]): string[] {
  const children = new Map<string, string[]>();
  const pending = new Map<string, number>();
  for (const n of nodes) {
    // A dependency orders like a parent: it runs first.
    const before = new Set([...n.parents, ...(n.dependsOn ?? [])]);
    pending.set(n.id, before.size);
    for (const p of before) children.set(p, [...(children.get(p) ?? []), n.id]);
  }
  const ready = nodes.filter((n) => pending.get(n.id) === 0).map((n) => n.id).sort();
  const order: string[] = [];
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    for (const c of children.get(id) ?? []) {
      const left = pending.get(c)! - 1;
      pending.set(c, left);
      if (left === 0) {
        ready.push(c);
        ready.sort();
      }
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.filter((n) => !order.includes(n.id)).map((n) => n.id);
    throw new HistoryError(`migrations form a cycle: ${stuck.join(', ')}`);
  }
  return order;
}

const MIGRATION_FILE = /^(?!.*\.d\.[mc]?ts$).*\.([mc]?ts|[mc]?js)$/;

export function migrationFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names.filter((f) => MIGRATION_FILE.test(f) && !f.startsWith('.')).sort().map((f) => join(dir, f));
}

function isMigrationClass(v: unknown): v is MigrationClass {
  return typeof v === 'function' && typeof (v as MigrationClass).id === 'string' && Array.isArray((v as MigrationClass).parents);
}

/** A static list of ids or labels (`branchLabels`, `dependsOn`): absent is empty; anything but strings is named. */
function stringList(value: unknown, field: string, shown: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new HistoryError(`migration ${shown}: static ${field} must be an array of strings`);
  return [...value];
}

/** Imports every migration file in `dir`. A file that fails to load is named with its error. */
export async function loadHistory(dir: string, cwd = process.cwd()): Promise<History> {
  const nodes: MigrationNode[] = [];
  for (const file of migrationFiles(dir)) {
    const shown = relative(cwd, file) || file;
    let mod: Record<string, unknown>;
    const text = readFileSync(file, 'utf8');
    try {
      mod = await loadUserModule(file);
    } catch (error) {
      throw new HistoryError(`cannot load migration ${shown}${errorLine(error, file)}: ${firstLine(error)}`);
    }
    const classes = Object.values(mod).filter(isMigrationClass);
    if (classes.length !== 1) {
      throw new HistoryError(`migration ${shown} must export exactly one class extending TidemarkMigration (found ${classes.length})`);
    }
    const migration = classes[0]!;
    if (`${migration.id}` !== basename(file).replace(/\.[mc]?[jt]s$/, '')) {
      throw new HistoryError(`migration ${shown} declares id '${migration.id}', which is not its file name: rename one to match the other`);
    }
    nodes.push({
      id: migration.id,
      parents: [...migration.parents],
      branchLabels: stringList(migration.branchLabels, 'branchLabels', shown),
      dependsOn: stringList(migration.dependsOn, 'dependsOn', shown),
      replaces: stringList(migration.replaces, 'replaces', shown),
      file: shown,
      checksum: checksumOf(text),
      migration,
    });
  }
  return new History(nodes);
}

/** `:line` of a syntax error in `file`, from the stack Node gives it (the message has none). */
function errorLine(error: unknown, file: string): string {
  const stack = String((error as Error)?.stack ?? '');
  const url = pathToFileURL(file).href;
  const at = stack.indexOf(`${url}:`);
  const m = at >= 0 ? /^:(\d+)/.exec(stack.slice(at + url.length)) : null;
  return m ? `:${m[1]}` : '';
}

export function firstLine(error: unknown): string {
  const e = error as { message?: string; code?: string };
  const msg = String(e?.message ?? error).split('\n')[0]!.trim();
  return msg;
}

/** The operations of every migration's `up`, recorded without a database. */
export async function recordAll(history: History): Promise<Map<string, Op[]>> {
  const out = new Map<string, Op[]>();
  for (const id of history.order) {
    const node = history.get(id)!;
    try {
      out.set(id, await (node.migration as unknown as { record(m: 'up'): Promise<Op[]> }).record('up'));
    } catch (error) {
      throw new HistoryError(`migration ${id} (${node.file}): up() failed without a database: ${firstLine(error)}`);
    }
  }
  return out;
}
