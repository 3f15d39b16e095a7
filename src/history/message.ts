import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { MigrationNode } from './history.ts';
import { slugOf } from './resolve-id.ts';

/**
 * What a migration says it does: a static `message` on its class when it has one, else the
 * first paragraph of the class's doc comment (where gen-migration and merge write the `-m`
 * message), else its slug in words. Read from the file, since the runtime class has no message.
 */
export function migrationMessage(node: MigrationNode, migrationsDir: string): string {
  const own = (node.migration as unknown as { message?: unknown }).message;
  if (typeof own === 'string' && own.trim()) return own.trim();
  let text = '';
  try {
    text = readFileSync(join(migrationsDir, basename(node.file)), 'utf8');
  } catch {
    // Unreadable now (it loaded a moment ago): the slug still says something.
  }
  return docMessage(text, node.migration.name) ?? (slugOf(node.id) ?? node.id).replace(/_/g, ' ');
}

/** The first paragraph of the doc comment right before `class <name>`. */
export function docMessage(text: string, className: string): string | undefined {
  const name = className.replace(/[$]/g, '\\$');
  // No `*/` inside the comment: otherwise an earlier doc comment would swallow everything up to this one.
  const m = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*(?:export\\s+)?(?:default\\s+)?(?:abstract\\s+)?class\\s+${name}\\b`).exec(text);
  if (!m) return undefined;
  const lines = m[1]!.split('\n').map((l) => l.replace(/^\s*\*?\s?/, '').trimEnd());
  while (lines.length && !lines[0]!.trim()) lines.shift();
  const end = lines.findIndex((l) => !l.trim());
  const first = (end < 0 ? lines : lines.slice(0, end)).map((l) => l.trim()).join(' ');
  // gen-migration escapes a `*/` in the message so it cannot close the comment.
  return first.replace(/\*\\\//g, '*/') || undefined;
}
