import { HistoryError } from '../errors.ts';
import type { History } from '../history/history.ts';
import type { VersionRow } from './storage.ts';

/**
 * What must hold between the files and the version table before any DDL runs. Each problem
 * is one line naming the migration, its file and the command that recovers. Returns notices
 * that do not stop a run (a pending migration older than applied ones: it will be applied,
 * never skipped).
 */
export function checkIntegrity(history: History, rows: VersionRow[]): string[] {
  if (history.problem) throw new HistoryError(history.problem);
  const applied = rows.filter((r) => r.status === 'applied');
  for (const row of applied) {
    // A squashed migration's row stands for its squash; its file, while it exists, must still match.
    const node = history.file(row.name);
    if (!node && history.replacedBy.has(row.name)) continue;
    if (!node) {
      throw new HistoryError(
        `migration ${row.name} is applied, but no file in the migrations folder has that id (deleted or renamed?): restore the file (e.g. from git), or if its changes were undone by hand, 'tidemark migrate resolve ${row.name} --rolled-back'`,
      );
    }
    if (row.checksum && row.checksum !== node.checksum) {
      throw new HistoryError(
        `migration ${row.name} (${node.file}) was edited after it was applied: its checksum differs; undo the edit (git checkout -- ${node.file}) and put the change in a new migration, or accept the edit with 'tidemark migrate resolve ${row.name} --applied'`,
      );
    }
  }
  const appliedIds = new Set(history.appliedIds(applied.map((r) => r.name)));
  for (const name of appliedIds) {
    if (!history.get(name)) continue;
    const missing = history.lineage(name).filter((id) => id !== name && !appliedIds.has(id));
    if (missing.length) {
      throw new HistoryError(
        `migration ${name} is applied, but ${missing.join(', ')} it follows ${missing.length === 1 ? 'is' : 'are'} not (${history.get(missing[0]!)!.file}): its parents were changed after it was applied; restore them`,
      );
    }
  }
  // A squash is stamped when it was written, after migrations that follow it: not a sign of a merge.
  const newestApplied = applied.filter((r) => !history.file(r.name)?.replaces?.length).reduce((a, r) => (r.name > a ? r.name : a), '');
  return history.order
    .filter((id) => !appliedIds.has(id) && id < newestApplied)
    .map((id) => `note: ${id} (${history.get(id)!.file}) is older than applied ${newestApplied} (merged from another branch): it is pending and will be applied, not skipped`);
}
