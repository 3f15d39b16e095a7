import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ResolvedConfig } from '../config.ts';
import { ConfigError, DatabaseError, UsageError } from '../errors.ts';
import { firstLine } from '../history/history.ts';
import { importClient } from '../project/packages.ts';
import { parseDatabaseUrl, redact, type DatabaseUrl } from '../url.ts';

/**
 * What names a fleet: a list of URLs and patterns, or one string as `--targets` takes it:
 * `config` (the config's `targets`), `@file` (one URL or pattern a line, `#` comments), or URLs
 * separated by commas.
 */
export type TargetSpec = string | readonly string[];

/** `*` any run of characters, `?` one (schema patterns only: in a database path `?` starts the query). */
const isPattern = (name: string | undefined) => name !== undefined && /[*?]/.test(name);

/** A glob as a LIKE pattern with `\` as the escape character (the default of both servers). */
export function likePattern(glob: string): string {
  return glob.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_');
}

/**
 * Splits a `--targets` list on the commas that start a new URL (a comma followed by a scheme),
 * so a comma elsewhere in a URL (an encoded password, a query) does not cut it.
 */
export function splitTargetList(text: string): string[] {
  return text
    .split(/,(?=\s*(?:[a-z][a-z0-9+.-]*:))/i)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The entries `spec` names, before patterns are expanded, each with where it came from (for messages). */
export async function targetEntries(spec: TargetSpec, config: ResolvedConfig, cwd: string): Promise<{ text: string; source: string; baseDir: string }[]> {
  if (typeof spec !== 'string') return spec.map((text, i) => ({ text, source: `targets[${i}]`, baseDir: cwd }));
  const given = spec.trim();
  if (given === 'config') {
    if (!config.targets) throw new ConfigError(`--targets config: ${config.configFile ?? 'the config'} has no 'targets' (a list of URLs, or a function returning one)`);
    const where = config.configFile ?? 'config';
    let list: unknown;
    try {
      list = await config.targets();
    } catch (error) {
      throw new ConfigError(`'targets' in ${where} failed: ${redact(firstLine(error))}`);
    }
    if (!Array.isArray(list) || list.some((t) => typeof t !== 'string')) throw new ConfigError(`'targets' in ${where} must return a list of database URLs (strings)`);
    return (list as string[]).map((text, i) => ({ text, source: `'targets' in ${where} (entry ${i + 1})`, baseDir: config.baseDir }));
  }
  if (given.startsWith('@')) {
    const file = resolve(cwd, given.slice(1));
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`--targets ${given}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? firstLine(error)})`);
    }
    return text
      .split(/\r?\n/)
      .map((line, i) => ({ text: line.trim(), source: `${given.slice(1)}:${i + 1}`, baseDir: cwd }))
      .filter((e) => e.text && !e.text.startsWith('#'));
  }
  return splitTargetList(given).map((text, i) => ({ text, source: `--targets (entry ${i + 1})`, baseDir: cwd }));
}

/**
 * Every target `spec` names, patterns expanded against their servers, each once, in the order
 * given (a pattern's matches in name order). A pattern that matches nothing is an error: a
 * fleet that silently shrinks to nothing would read as "all up to date".
 */
export async function resolveTargets(spec: TargetSpec, config: ResolvedConfig, cwd = process.cwd()): Promise<DatabaseUrl[]> {
  const entries = await targetEntries(spec, config, cwd);
  if (!entries.length) throw new UsageError(`--targets ${typeof spec === 'string' ? spec : '[]'}: names no target`);
  const out: DatabaseUrl[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    const url = parseDatabaseUrl(e.text, e.baseDir, e.source);
    for (const t of await expand(url, config, e.source)) {
      const key = targetKey(t);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(t);
    }
  }
  return out;
}

/** What identifies one history on a server: two spellings of the same target are one target. */
export function targetKey(u: DatabaseUrl): string {
  return u.dialect === 'sqlite' ? `sqlite\0${u.file}` : `${u.dialect === 'postgresql' ? 'pg' : 'my'}\0${u.host}\0${u.port}\0${u.database}\0${u.dialect === 'postgresql' ? (u.schema ?? 'public') : ''}`;
}

async function expand(url: DatabaseUrl, config: ResolvedConfig, source: string): Promise<DatabaseUrl[]> {
  if (url.dialect === 'sqlite') return [url];
  const schemaPattern = url.dialect === 'postgresql' && isPattern(url.schema);
  const databasePattern = isPattern(url.database);
  if (!schemaPattern && !databasePattern) return [url];
  if (schemaPattern && databasePattern) throw new UsageError(`${source}: ${url.display}: a pattern in the database or in the schema, not both`);
  const names = await matchingNames(url, schemaPattern ? 'schema' : 'database', config, source);
  if (!names.length) throw new UsageError(`${source}: ${url.display} matches no ${schemaPattern ? 'schema' : 'database'} on the server`);
  return names.map((name) =>
    schemaPattern
      ? { ...url, schema: name, display: url.display.replace(/([?&]schema=)[^&#]*/, `$1${encodeURIComponent(name)}`) }
      : { ...url, database: name, display: replacePath(url.display, name) },
  );
}

function replacePath(display: string, database: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/]*\/)([^?#]*)(.*)$/i.exec(display);
  return m ? `${m[1]}${encodeURIComponent(database)}${m[3]}` : display;
}

/** Names of schemas (PostgreSQL) or databases matching the URL's pattern, asked of the server. */
async function matchingNames(url: DatabaseUrl, what: 'schema' | 'database', config: ResolvedConfig, source: string): Promise<string[]> {
  const glob = what === 'schema' ? url.schema! : url.database!;
  const like = likePattern(glob);
  try {
    if (url.dialect === 'postgresql') {
      const { default: pg } = await importClient<{ default: typeof import('pg') }>(url.dialect, 'pg', config.projectRoot, url.display);
      // A database pattern is matched from the server's maintenance database.
      const client = new pg.Client({ host: url.host, port: url.port, user: url.user, password: url.password, database: what === 'schema' ? url.database : 'postgres' });
      client.on('error', () => undefined);
      await client.connect();
      try {
        const sql =
          what === 'schema'
            ? `select schema_name as name from information_schema.schemata where schema_name like $1 order by 1`
            : `select datname as name from pg_database where datname like $1 and not datistemplate and datallowconn order by 1`;
        return (await client.query(sql, [like])).rows.map((r: { name: string }) => r.name);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    const mysql = (await importClient<{ default: typeof import('mysql2/promise') }>(url.dialect, 'mysql2/promise', config.projectRoot, url.display)).default;
    const conn = await mysql.createConnection({ host: url.host, port: url.port, user: url.user, password: url.password });
    conn.on('error', () => undefined);
    try {
      const [rows] = (await conn.query('select schema_name as name from information_schema.schemata where schema_name like ? order by 1', [like])) as unknown as [{ name: string; NAME?: string }[]];
      return rows.map((r) => r.name ?? r.NAME!);
    } finally {
      await conn.end().catch(() => undefined);
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new DatabaseError(`${source}: cannot list the ${what}s matching ${url.display}: ${redact(firstLine(error))}`);
  }
}
