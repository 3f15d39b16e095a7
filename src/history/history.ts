import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Op } from '../diff/ops.ts';
import { HistoryError } from '../errors.ts';
import { loadUserModule } from '../loader/ts-loader.ts';
import type { MigrationClass } from '../runtime/migration.ts';
import { ambiguous, idCandidates, singleHead } from './resolve-id.ts';

export interface MigrationNode {
  id: string;
  parents: readonly string[];
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

/** The migration files as a graph: every node names its parents, so branches and merges are data. */
export class History {
  readonly nodes: ReadonlyMap<string, MigrationNode>;
  /** Parents before children; among unrelated migrations, the older id first. */
  readonly order: readonly string[];

  constructor(nodes: MigrationNode[]) {
    const map = new Map<string, MigrationNode>();
    for (const n of nodes) {
      const other = map.get(n.id);
      if (other) throw new HistoryError(`duplicate migration id '${n.id}' in ${other.file} and ${n.file}`);
      map.set(n.id, n);
    }
    for (const n of nodes) {
      for (const p of n.parents) {
        if (!map.has(p)) throw new HistoryError(`migration ${n.id} (${n.file}) names parent '${p}', which is not in the migrations folder`);
      }
    }
    this.nodes = map;
    this.order = topologicalOrder(nodes);
  }

  get(id: string): MigrationNode | undefined {
    return this.nodes.get(id);
  }

  /** Migrations no other migration follows. More than one means unmerged branches. */
  heads(): string[] {
    const hasChild = new Set(this.order.flatMap((id) => this.nodes.get(id)!.parents));
    return this.order.filter((id) => !hasChild.has(id));
  }

  /** `id` and everything it descends from, in history order. */
  lineage(id: string): string[] {
    const seen = new Set<string>();
    const stack = [id];
    while (stack.length) {
      const x = stack.pop()!;
      if (seen.has(x)) continue;
      seen.add(x);
      stack.push(...this.nodes.get(x)!.parents);
    }
    return this.order.filter((x) => seen.has(x));
  }

  /**
   * Resolves a user-given target: a full id, a unique prefix of one (such as the stamp), its
   * slug, or `head` (the single head). Undefined when nothing matches; an ambiguous one throws,
   * naming the candidates.
   */
  resolve(target: string): string | undefined {
    if (target === 'head' && !this.nodes.has(target)) return singleHead(this.heads(), target);
    const matches = idCandidates(this.order, target);
    if (matches.length > 1) throw ambiguous(target, matches);
    return matches[0];
  }
}

function topologicalOrder(nodes: MigrationNode[]): string[] {
  const children = new Map<string, string[]>();
  const pending = new Map<string, number>();
  for (const n of nodes) {
    pending.set(n.id, new Set(n.parents).size);
    for (const p of new Set(n.parents)) children.set(p, [...(children.get(p) ?? []), n.id]);
  }
  const ready = nodes.filter((n) => n.parents.length === 0).map((n) => n.id).sort();
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
    nodes.push({ id: migration.id, parents: [...migration.parents], file: shown, checksum: checksumOf(text), migration });
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
