import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

/**
 * Apps outside the repository that get tidemark the way users do: from the tarball `npm pack`
 * made (see global-setup.ts), installed next to a MikroORM 7 set from the registry, and run
 * as `node_modules/.bin/tidemark` with Node 24 in a plain shell environment.
 */

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The MikroORM versions the whole matrix runs against: the current one and the oldest tidemark's peer range allows. */
export const MIKRO_ORM_VERSIONS = ['7.2.1', '7.2.0'] as const;

export interface Pack {
  /** The run's temporary directory in os.tmpdir(): tarball and apps live under it. */
  runDir: string;
  /** Absolute path of the tarball. */
  tarball: string;
  size: number;
  unpackedSize: number;
  files: string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    tidemarkPack: Pack;
  }
}

export function pack(): Pack {
  return inject('tidemarkPack');
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Node 24 (the one running vitest) as `node` on the PATH, like a user's shell after installing it. */
const NODE_DIR = dirname(process.execPath);

/**
 * The environment of a user's shell: PATH with Node 24 first, HOME (npm's shared cache lives
 * there). Nothing from vitest or npm's script runner: VITEST would make MikroORM believe
 * TypeScript is loadable (Utils.detectTypeScriptSupport), npm_config_* would change npm, and
 * the repo's node_modules/.bin must not stand in for the app's own tools.
 */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '/usr/bin:/bin')
    .split(delimiter)
    .filter((p) => p && !p.includes('node_modules/.bin') && !p.includes('node-gyp-bin'));
  const env: NodeJS.ProcessEnv = { PATH: [NODE_DIR, ...path].join(delimiter), HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' };
  // How this machine reaches the registry (but not npm_config_local_prefix and the like, which
  // `npm test` sets and which would point the app's npm at the repository).
  for (const name of KEPT) if (process.env[name]) env[name] = process.env[name];
  return { ...env, ...extra };
}

const KEPT = [
  'TMPDIR', 'npm_config_registry', 'NPM_CONFIG_REGISTRY', 'npm_config_cache', 'NPM_CONFIG_CACHE',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy',
  'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR',
];

/**
 * At most two child processes at once: the machine has two cores, and the suite runs the apps
 * of both MikroORM versions side by side.
 */
const SLOTS = 2;
let busy = 0;
const waiting: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (busy >= SLOTS) await new Promise<void>((r) => waiting.push(r));
  else busy++;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else busy--;
  }
}

export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<Run> {
  const queued = Date.now();
  return slot(
    () =>
      new Promise<Run>((done, fail) => {
        const started = Date.now();
        const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 120_000);
        child.on('error', (e) => {
          clearTimeout(timer);
          fail(e);
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          // TIDEMARK_PACK_TIMING=1: where the suite's time goes.
          if (process.env.TIDEMARK_PACK_TIMING) {
            process.stderr.write(`[pack] ${((Date.now() - started) / 1000).toFixed(1)}s (+${((started - queued) / 1000).toFixed(1)}s queued) ${command.split('/').pop()} ${args.join(' ')} in ${options.cwd.split('/').pop()}\n`);
          }
          done({ code: code ?? (signal ? 128 : -1), stdout, stderr: signal ? `${stderr}\n(killed by ${signal})` : stderr });
        });
      }),
  );
}

export function describeRun(what: string, r: Run): string {
  return `${what} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** The MikroORM 7 set an app installs, at one version, with the driver it uses. */
export function mikroOrmSet(version: string, options: { decorators: boolean; driver?: string }): Record<string, string> {
  const deps: Record<string, string> = {
    '@mikro-orm/core': version,
    '@mikro-orm/migrations': version,
    // No '@mikro-orm/sql': the README's install does not name it (the driver brings it at its own version).
    [`@mikro-orm/${options.driver ?? 'sqlite'}`]: version,
  };
  if (options.decorators) {
    deps['@mikro-orm/decorators'] = version;
    deps['reflect-metadata'] = '^0.2.2';
  }
  return deps;
}

/** The app's own TypeScript and Node types, for its `tsc --noEmit` (TypeScript 7's tsc is native). */
export const TYPESCRIPT = { typescript: '^7.0.2', '@types/node': '^24.0.0' };

/** A temporary app in os.tmpdir(), driven through its own installed tidemark. */
export class App {
  readonly dir: string;

  constructor(name: string) {
    this.dir = join(pack().runDir, `${name}-${randomBytes(4).toString('hex')}`);
    mkdirSync(this.dir, { recursive: true });
  }

  write(path: string, text: string): this {
    const file = join(this.dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return this;
  }

  writeAll(files: Record<string, string>): this {
    for (const [path, text] of Object.entries(files)) this.write(path, text);
    return this;
  }

  /** `path` relative to the app, or absolute. */
  read(path: string): string {
    return readFileSync(resolve(this.dir, path), 'utf8');
  }

  exists(path: string): boolean {
    return existsSync(resolve(this.dir, path));
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /**
   * `npm install` of the app's package.json plus `deps` and tidemark's tarball, in one go and
   * with --ignore-scripts for every package: tidemark must need no install script (no build,
   * no download), and nothing else in the set needs one either (better-sqlite3 ships its
   * prebuilt binaries inside its package; @swc/core's postinstall only double-checks the
   * optional native package npm already installed). npm's cache in HOME is shared by every app.
   */
  async install(deps: Record<string, string>, options: { tidemark?: boolean } = {}): Promise<Run> {
    const pkgFile = join(this.dir, 'package.json');
    const pkg = existsSync(pkgFile) ? JSON.parse(readFileSync(pkgFile, 'utf8')) : { name: 'app', private: true };
    pkg.dependencies = { ...pkg.dependencies, ...deps };
    if (options.tidemark !== false) pkg.dependencies.tidemark = `file:${pack().tarball}`;
    writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
    const r = await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: this.dir, timeout: 300_000 });
    if (r.code !== 0) throw new Error(describeRun('npm install', r));
    return r;
  }

  /** `node_modules/.bin/tidemark ...`, started through its `#!/usr/bin/env node` line. */
  tidemark(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    return run(join(this.dir, 'node_modules', '.bin', 'tidemark'), args, { cwd: this.dir, env: userEnv(env) });
  }

  /** Runs tidemark and fails with its output unless it exits 0. */
  async ok(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
    const r = await this.tidemark(args, env);
    if (r.code !== 0) throw new Error(describeRun(`tidemark ${args.join(' ')}`, r));
    return r.stdout;
  }

  node(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    return run(process.execPath, args, { cwd: this.dir, env: userEnv(env) });
  }

  npx(args: string[]): Promise<Run> {
    return run('npx', args, { cwd: this.dir });
  }

  /** The app's own tsc, single-threaded: two of them share the two cores, and TypeScript 7's worker threads would only contend. */
  tsc(args: string[]): Promise<Run> {
    return run(join(this.dir, 'node_modules', '.bin', 'tsc'), [...args, '--singleThreaded'], { cwd: this.dir });
  }

  /**
   * The app's `npx tsc --noEmit -p .` (single-threaded, see tsc()), as diagnostics (a first line and its indented
   * continuation lines) split into those located in MikroORM's own .d.ts files and the rest.
   */
  async typecheck(): Promise<{ run: Run; mikroOrm: string[]; others: string[] }> {
    const r = await this.npx(['tsc', '--noEmit', '-p', '.', '--singleThreaded']);
    const diagnostics: string[] = [];
    for (const line of r.stdout.split('\n')) {
      if (!line.trim()) continue;
      if (/^\s/.test(line) && diagnostics.length) diagnostics[diagnostics.length - 1] += `\n${line}`;
      else diagnostics.push(line);
    }
    const mikroOrm = diagnostics.filter((d) => d.startsWith('node_modules/@mikro-orm/'));
    return { run: r, mikroOrm, others: diagnostics.filter((d) => !mikroOrm.includes(d)) };
  }

  /** Files in `dir` (relative to the app), sorted; none when it does not exist. */
  list(dir: string): string[] {
    try {
      return readdirSync(join(this.dir, dir)).sort();
    } catch {
      return [];
    }
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
