import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DialectName } from '../dialect/dialect.ts';
import { ConfigError } from '../errors.ts';
import { firstLine } from '../history/history.ts';

/**
 * How tidemark finds the app's packages (MikroORM's core and driver, the decorators, the
 * database clients): one rule for every module that imports them, so migrating and reading the
 * entities never load two different copies.
 */

export const DRIVER_PACKAGES: Record<DialectName, string> = {
  sqlite: '@mikro-orm/sqlite',
  postgresql: '@mikro-orm/postgresql',
  mysql: '@mikro-orm/mysql',
  mariadb: '@mikro-orm/mariadb',
};

/**
 * Where `name` resolves for the app whose root is `root`, or undefined. The app's own packages
 * come first: entities register into its MikroORM, and pnpm lets tidemark see only its own
 * dependencies. Tidemark's own resolution is the fallback only when the app does not install
 * tidemark (a global install, npx from elsewhere): an app that does is told what to install
 * rather than quietly given tidemark's copy, which may not match its own.
 */
export function resolveFromApp(name: string, root: string): string | undefined {
  const app = createRequire(join(root, 'package.json'));
  try {
    return app.resolve(name);
  } catch {
    try {
      app.resolve('tidemark/package.json');
      return undefined;
    } catch {
      return resolveBeside(name, import.meta.url);
    }
  }
}

/** Where `name` resolves as the package holding `file` sees it (its own dependencies first), or undefined. */
export function resolveBeside(name: string, file: string): string | undefined {
  try {
    return createRequire(file).resolve(name);
  } catch {
    return undefined;
  }
}

// The nearest lock file above the app's root says which package manager installs it (in a
// workspace, the lock file is at the workspace's root, and `add` run in the package works).
const MANAGERS: [lockFile: string, command: string][] = [
  ['pnpm-lock.yaml', 'pnpm add'],
  ['yarn.lock', 'yarn add'],
  ['package-lock.json', 'npm install'],
  ['npm-shrinkwrap.json', 'npm install'],
];

function addCommand(root: string): string {
  for (let dir = root; ; dir = dirname(dir)) {
    const found = MANAGERS.find(([lock]) => existsSync(join(dir, lock)));
    if (found) return found[1];
    if (dirname(dir) === dir) return 'npm install';
  }
}

/** The command that installs `pkg` into the app, at the version of the app's MikroORM (`npm install @mikro-orm/sqlite@7.2.1`). */
export function installCommand(pkg: string, root: string): string {
  const core = resolveFromApp('@mikro-orm/core/package.json', root);
  let version: string | undefined;
  try {
    if (core) version = (JSON.parse(readFileSync(core, 'utf8')) as { version?: string }).version;
  } catch {
    // no version then: the package manager picks one matching the peer range
  }
  return `${addCommand(root)} ${pkg}${version ? `@${version}` : ''}`;
}

/**
 * The entry file of the driver package for `dialect`, resolved for the app. `subject` is what
 * needs it, as printed (the URL without its password, `--dialect x`, `reading the entities`).
 */
function resolveDriver(dialect: DialectName, root: string, subject: string): string {
  const pkg = DRIVER_PACKAGES[dialect];
  const entry = resolveFromApp(pkg, root);
  if (!entry) throw new ConfigError(`${subject} needs the driver package ${pkg}: ${installCommand(pkg, root)}`);
  return entry;
}

/** Imports a module by the file `resolve` found (CommonJS modules come back as `default`). */
async function importResolved<T>(file: string): Promise<T> {
  return (await import(pathToFileURL(file).href)) as T;
}

/**
 * Imports the package entry `file`; a copy that throws while loading (a broken or mismatched
 * install) is a ConfigError naming `label`, the package as the user knows it.
 */
export async function importPackage<T>(file: string, label: string): Promise<T> {
  try {
    return await importResolved<T>(file);
  } catch (error) {
    throw new ConfigError(`${label} cannot be loaded: ${firstLine(error)}`);
  }
}

/** `mod[name]` when it is a class or function; else a ConfigError: the installed `label` is not a version tidemark works with. */
export function exportOf<T>(mod: Record<string, unknown>, name: string, label: string): T {
  const value = mod[name];
  if (typeof value !== 'function') throw new ConfigError(`${label} has no export ${name}: tidemark needs MikroORM 7`);
  return value as T;
}

const driverLabel = (dialect: DialectName) => `the ${dialect} driver (${DRIVER_PACKAGES[dialect]})`;

/** The MikroORM class of the app's driver package for `dialect` (set up with that driver). */
export async function driverMikroOrm<T>(dialect: DialectName, root: string, subject: string): Promise<T> {
  const mod = await importPackage<Record<string, unknown>>(resolveDriver(dialect, root, subject), driverLabel(dialect));
  return exportOf<T>(mod, 'MikroORM', driverLabel(dialect));
}

/**
 * A require anchored at the package that depends on the dialect's client library (`pg`,
 * `mysql2`, `better-sqlite3`), so the client is the one the driver uses, in any layout.
 */
function clientRequire(dialect: DialectName, root: string, subject: string): NodeJS.Require {
  const entry = resolveDriver(dialect, root, subject);
  if (dialect !== 'mariadb') return createRequire(entry);
  // @mikro-orm/mariadb builds on @mikro-orm/mysql, which holds mysql2.
  const mysql = resolveBeside(DRIVER_PACKAGES.mysql, entry);
  if (!mysql) throw new ConfigError(`${subject}: ${DRIVER_PACKAGES.mariadb} cannot find its ${DRIVER_PACKAGES.mysql}: reinstall it (${installCommand(DRIVER_PACKAGES.mariadb, root)})`);
  return createRequire(mysql);
}

/** The database client `name` (`pg`, `mysql2/promise`, `better-sqlite3`) as the app's driver for `dialect` sees it, imported (CommonJS: its exports are `default`). */
export async function importClient<T>(dialect: DialectName, name: string, root: string, subject: string): Promise<T> {
  let file: string;
  try {
    file = clientRequire(dialect, root, subject).resolve(name);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${subject}: ${driverLabel(dialect)} cannot find its client ${name}: reinstall it (${installCommand(DRIVER_PACKAGES[dialect], root)})`);
  }
  return importPackage<T>(file, `the database client ${name}`);
}
