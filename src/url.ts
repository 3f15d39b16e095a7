import { isAbsolute, resolve } from 'node:path';
import type { DialectName } from './dialect/dialect.ts';
import { ConfigError } from './errors.ts';

export interface DatabaseUrl {
  dialect: DialectName;
  /** SQLite: absolute path or ':memory:'. */
  file?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** PostgreSQL schema (`?schema=`). */
  schema?: string;
  /** The URL as given, with any password replaced by `****`: the only form ever printed. */
  display: string;
}

const PROTOCOLS: Record<string, DialectName> = {
  'postgres:': 'postgresql',
  'postgresql:': 'postgresql',
  'mysql:': 'mysql',
  'mariadb:': 'mariadb',
};

/**
 * Replaces the password of every URL in `text` with `****`. The password ends at the last
 * `@` of the URL, as URL parsers read it, so an unencoded `@` in a password does not leak.
 */
/** Passwords seen by `parseDatabaseUrl` in this process, in every spelling they may be printed in. */
const secrets = new Set<string>();

export function redact(text: string): string {
  let out = text;
  // Whatever characters it holds, a known password is never printed.
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('****');
  return out.replace(/\b([a-z][a-z0-9+.-]*:\/\/)(\S+)/gi, (whole, scheme: string, rest: string) => {
    const at = rest.lastIndexOf('@');
    if (at < 0) return whole;
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon < 0) return whole;
    return `${scheme}${userinfo.slice(0, colon)}:****${rest.slice(at)}`;
  });
}

/** Said when the part before the host holds characters a URL gives a meaning to: the usual cause is an unencoded password. */
function encodingHint(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(.*)@/i.exec(url);
  const userinfo = m?.[1] ?? /^[a-z][a-z0-9+.-]*:\/\/([^@]*[#?/][^@]*)$/i.exec(url)?.[1];
  if (!userinfo || !/[@#?/%\s]/.test(userinfo.replace(/%[0-9a-f]{2}/gi, ''))) return '';
  return `; if the password holds any of @ : / ? # % or a space, URL-encode it (encodeURIComponent('…'))`;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    // A raw `%` not followed by two hex digits: take it literally.
    return part;
  }
}

/**
 * Parses `sqlite:./file.db`, `sqlite::memory:`, `postgres://user:pass@host:port/db?schema=s`,
 * `mysql://…` and `mariadb://…`. A relative SQLite path is taken from `baseDir`.
 */
export function parseDatabaseUrl(url: string, baseDir: string, source: string): DatabaseUrl {
  const display = redact(url);
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (!path) throw new ConfigError(`${source}: SQLite URL '${display}' names no file (use sqlite:./app.db or sqlite::memory:)`);
    if (path === ':memory:') return { dialect: 'sqlite', file: ':memory:', display };
    return { dialect: 'sqlite', file: isAbsolute(path) ? path : resolve(baseDir, path), display };
  }
  let u: URL;
  try {
    u = new URL(url);
    if (u.password) {
      secrets.add(u.password);
      secrets.add(decode(u.password));
      secrets.add(encodeURIComponent(decode(u.password)));
      // what the URL spelled, before the parser normalised it
      const raw = /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:(.*)@[^@]*$/i.exec(url)?.[1];
      if (raw) secrets.add(raw);
    }
  } catch {
    // Not echoed: an unparsable URL could show its password.
    throw new ConfigError(`${source}: not a valid database URL (expected sqlite:./file.db, postgres://user:pass@host/db, mysql://… or mariadb://…)${encodingHint(url)}`);
  }
  // Printed from its parts, so no spelling of the password can reach the screen.
  const shown = `${u.protocol}//${u.username ? `${u.username}${u.password ? ':****' : ''}@` : ''}${u.host}${u.pathname}${u.search}`;
  const dialect = PROTOCOLS[u.protocol];
  if (!dialect) throw new ConfigError(`${source}: unsupported database URL scheme '${u.protocol}' (expected sqlite:, postgres://, mysql:// or mariadb://)`);
  const database = decode(u.pathname.replace(/^\//, ''));
  if (!database) throw new ConfigError(`${source}: '${display}' names no database${encodingHint(url)}`);
  return {
    dialect,
    host: u.hostname || 'localhost',
    port: u.port ? Number(u.port) : dialect === 'postgresql' ? 5432 : 3306,
    user: u.username ? decode(u.username) : undefined,
    password: u.password ? decode(u.password) : undefined,
    database,
    schema: u.searchParams.get('schema') ?? undefined,
    display: shown,
  };
}
