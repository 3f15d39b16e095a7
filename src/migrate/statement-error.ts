import { SourceMap } from 'node:module';
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { oneLine } from '../dialect/transaction-rules.ts';
import { servedCode } from '../loader/ts-loader.ts';

/**
 * What a failed run says about the failure: the driver's message, its SQLSTATE or errno, and
 * the statement that failed (the drivers of PostgreSQL and SQLite do not say which one), or,
 * for an error thrown by the migration's own code, the file and line it came from.
 */
const STATEMENT = Symbol.for('tidemark.failedStatement');

interface Executor {
  execute(sql: unknown, ...rest: unknown[]): Promise<unknown>;
}

/**
 * Remembers on each error which statement `driver` was running, and tells `ran` of each one that
 * succeeded; returns the undo.
 */
export function watchStatements(driver: Executor, ran?: (sql: string) => void): () => void {
  const own = Object.prototype.hasOwnProperty.call(driver, 'execute');
  const original = driver.execute;
  driver.execute = async function (this: unknown, sql: unknown, ...rest: unknown[]) {
    try {
      const result = await original.call(this, sql, ...rest);
      if (typeof sql === 'string') ran?.(sql);
      return result;
    } catch (error) {
      if (error && typeof error === 'object' && typeof sql === 'string' && !(STATEMENT in error)) {
        try {
          (error as Record<symbol, string>)[STATEMENT] = sql;
        } catch {
          // A frozen error keeps its text.
        }
      }
      throw error;
    }
  };
  return () => {
    if (own) driver.execute = original;
    else delete (driver as Partial<Executor>).execute;
  };
}

/** `<message> [SQLSTATE 42P01 | errno 1146]`, then `in: <statement>` when one is known. */
export function describeDatabaseError(error: unknown, firstLine: (e: unknown) => string): string {
  const e = (error ?? {}) as { code?: unknown; errno?: unknown; sqlState?: unknown; sql?: unknown };
  const codes: string[] = [];
  const sqlState = typeof e.sqlState === 'string' ? e.sqlState : typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  if (sqlState) codes.push(`SQLSTATE ${sqlState}`);
  if (typeof e.errno === 'number') codes.push(`errno ${e.errno}`);
  else if (!sqlState && typeof e.code === 'string' && /^SQLITE_/.test(e.code)) codes.push(e.code);
  const statement = (error && typeof error === 'object' ? (error as Record<symbol, unknown>)[STATEMENT] : undefined) ?? (typeof e.sql === 'string' ? e.sql : undefined);
  const head = firstLine(error);
  return `${head}${codes.length ? ` [${codes.join(', ')}]` : ''}${typeof statement === 'string' ? `; statement: ${oneLine(statement)}` : ''}`;
}

/**
 * `file:line` of the first frame of `error` inside `file` (a migration), mapped back to the
 * TypeScript source through its inline source map when Node has one; undefined when the error
 * did not come from that file (a database error, say).
 */
export function migrationFrame(error: unknown, file: string, cwd = process.cwd()): string | undefined {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
  const absolute = resolve(cwd, file);
  for (const m of stack.matchAll(/((?:file:\/\/)?[^\s()'"`]+?\.[mc]?[jt]s):(\d+):(\d+)/g)) {
    let path = m[1]!;
    try {
      if (path.startsWith('file:')) path = fileURLToPath(path);
    } catch {
      continue;
    }
    if (resolve(path) !== absolute && resolve(path) !== real(absolute)) continue;
    let line = Number(m[2]);
    // With --enable-source-maps V8's positions are the source's already.
    if (!process.sourceMapsEnabled) line = originalLine(servedCode(path) ?? servedCode(real(absolute)), line, Number(m[3])) ?? line;
    const rel = relative(cwd, absolute);
    return `${rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : absolute}:${line}`;
  }
  return undefined;
}

function real(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** The TypeScript line of a position in transpiled code, through its inline source map. */
function originalLine(code: string | undefined, line: number, col: number): number | undefined {
  const m = code && /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/.exec(code);
  if (!m) return undefined;
  try {
    const entry = new SourceMap(JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8'))).findEntry(line - 1, col - 1) as { originalLine?: number };
    return entry.originalLine === undefined ? undefined : entry.originalLine + 1;
  } catch {
    return undefined;
  }
}
