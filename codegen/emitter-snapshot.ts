/**
 * The emitter's V8 startup snapshot, built on first use instead of at install (nothing may
 * depend on install scripts): a process started from it has ts-morph loaded and initialised and
 * serves at once, instead of spending longer than the rest of gen-migration loading ts-morph.
 *
 * The blob is only valid for the Node binary that built it, so it is keyed by Node's version and
 * platform, tidemark's version and the installed ts-morph, and kept in the user's cache folder.
 * The first gen-migration that finds none starts a detached build and goes on without it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

declare const TIDEMARK_VERSION: string;

/** The folder of the built entries (dist/), wherever this code was bundled to. */
function distDir(): string {
  return fileURLToPath(new URL(import.meta.url.includes('/chunks/') ? '../' : './', import.meta.url));
}

function cacheRoot(): string {
  if (process.env.TIDEMARK_CACHE_DIR) return process.env.TIDEMARK_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || (process.platform === 'win32' && process.env.LOCALAPPDATA) || join(homedir(), '.cache');
  return join(base, 'tidemark');
}

/** Where the blob for this Node, tidemark and ts-morph lives (it may not exist yet). */
export function snapshotBlobPath(): string | undefined {
  try {
    const tsMorph = createRequire(join(distDir(), 'emit-snapshot.cjs')).resolve('ts-morph/package.json');
    const version = JSON.parse(readFileSync(tsMorph, 'utf8')).version as string;
    const key = createHash('sha256')
      .update(JSON.stringify([process.version, process.platform, process.arch, typeof TIDEMARK_VERSION === 'string' ? TIDEMARK_VERSION : 'dev', dirname(tsMorph), version]))
      .digest('hex')
      .slice(0, 16);
    return join(cacheRoot(), `emitter-${process.version}-${key}.blob`);
  } catch {
    return undefined;
  }
}

/** Starts building the blob in a detached process, unless one is being built right now. */
export function buildSnapshotInBackground(blob: string): void {
  const marker = `${blob}.building`;
  try {
    mkdirSync(dirname(blob), { recursive: true });
    // A marker left by a build that died long ago does not block forever.
    if (existsSync(marker) && Date.now() - statSync(marker).mtimeMs > 5 * 60_000) rmSync(marker, { force: true });
    closeSync(openSync(marker, 'wx'));
  } catch {
    return;
  }
  try {
    const child = spawn(process.execPath, [join(distDir(), 'emit-snapshot-build.mjs'), blob, marker], { detached: true, stdio: 'ignore' });
    child.on('error', () => rmSync(marker, { force: true }));
    child.unref();
  } catch {
    rmSync(marker, { force: true });
  }
}

/** Run by the detached process: bundle the snapshot entry with ts-morph inlined, then build the blob. */
export async function buildSnapshot(blob: string, marker: string): Promise<void> {
  const tmp = `${blob}.${process.pid}`;
  try {
    const { build } = (await import('esbuild')) as typeof import('esbuild');
    // A snapshot's entry may only require Node's own modules: ts-morph goes inside.
    await build({ entryPoints: [join(distDir(), 'emit-snapshot.cjs')], outfile: `${tmp}.cjs`, bundle: true, format: 'cjs', platform: 'node', logLevel: 'silent' });
    const built = spawn(process.execPath, ['--snapshot-blob', `${tmp}.blob`, '--build-snapshot', `${tmp}.cjs`], { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => built.on('close', resolve));
    if (code === 0) renameSync(`${tmp}.blob`, blob);
  } finally {
    rmSync(`${tmp}.cjs`, { force: true });
    rmSync(`${tmp}.blob`, { force: true });
    rmSync(marker, { force: true });
  }
}
