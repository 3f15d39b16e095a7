import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { HistoryError } from '../errors.ts';
import { normalizeSchema } from '../schema/normalize.ts';
import { SNAPSHOT_FORMAT, type SchemaSnapshot } from '../schema/types.ts';

export function serializeSnapshot(s: SchemaSnapshot): string {
  return `${JSON.stringify(normalizeSchema(s), null, 2)}\n`;
}

/** The stored snapshot, or undefined when there is none yet. */
export function readSnapshot(file: string, shown: string): SchemaSnapshot | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let data: SchemaSnapshot;
  try {
    data = JSON.parse(text);
  } catch {
    throw new HistoryError(`${shown} is not valid JSON (${/^(<{7}|={7}|>{7})/m.test(text) ? 'it has git conflict markers' : 'a bad merge or a hand edit?'}); delete it and run gen-migration again to recompute it`);
  }
  if (data?.format !== SNAPSHOT_FORMAT || !Array.isArray(data.tables)) {
    throw new HistoryError(`${shown} is not a tidemark snapshot of format ${SNAPSHOT_FORMAT}; delete it and run gen-migration again to recompute it`);
  }
  return normalizeSchema(data);
}

/** Writes via a temporary file and a rename, so a crash never leaves half a snapshot. */
export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
