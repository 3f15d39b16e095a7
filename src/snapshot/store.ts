import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { checksumOf, migrationFiles } from '../history/history.ts';
import { HistoryError } from '../errors.ts';
import { normalizeSchema } from '../schema/normalize.ts';
import { SNAPSHOT_FORMAT, type SchemaSnapshot } from '../schema/types.ts';

export function serializeSnapshot(s: SchemaSnapshot): string {
  return `${JSON.stringify(normalizeSchema(s), null, 2)}\n`;
}

/** The migration files of `dir` with their checksums, in file-name order (cheap: no imports). */
export function fileChecksums(dir: string): { file: string; checksum: string }[] {
  return migrationFiles(dir).map((f) => ({ file: basename(f), checksum: checksumOf(readFileSync(f, 'utf8')) }));
}

/** What seals a stored snapshot to the files it was computed from. */
export function sealOf(files: { file: string; checksum: string }[], snapshot: SchemaSnapshot): string {
  const { format, head, tables } = normalizeSchema(snapshot);
  return `sha256:${createHash('sha256').update(JSON.stringify({ files, format, head, tables })).digest('hex')}`;
}

/** Writes the snapshot for the migrations now in `dir`, sealed to them. */
export function writeSnapshot(file: string, dir: string, snapshot: SchemaSnapshot): void {
  const plain = normalizeSchema(snapshot);
  writeFileAtomic(file, `${JSON.stringify({ ...plain, seal: sealOf(fileChecksums(dir), plain) }, null, 2)}\n`);
}

/** The stored snapshot, when its seal shows it is exactly what the files in `dir` replay to. */
export function sealedSnapshot(file: string, dir: string): SchemaSnapshot | undefined {
  let data: SchemaSnapshot;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (data?.format !== SNAPSHOT_FORMAT || !Array.isArray(data.tables) || typeof data.seal !== 'string') return undefined;
  return data.seal === sealOf(fileChecksums(dir), data) ? normalizeSchema(data) : undefined;
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
