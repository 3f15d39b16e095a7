/**
 * The emitter's V8 startup snapshot, built on first use instead of at install (nothing may
 * depend on install scripts): a process started from it has ts-morph loaded and initialised and
 * serves at once, instead of spending longer than the rest of gen-migration loading ts-morph.
 *
 * The blob is only valid for the Node binary that built it, so it is keyed by Node's version and
 * platform, the emitter's code and the installed ts-morph, and kept in the user's cache folder.
 * The first gen-migration that finds none starts a detached build and goes on without it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of the built entries (dist/), wherever this code was bundled to. */
function distDir(): string {
  return fileURLToPath(new URL(import.meta.url.includes('/chunks/') ? '../' : './', import.meta.url));
}

function cacheRoot(): string {
  if (process.env.TIDEMARK_CACHE_DIR) return process.env.TIDEMARK_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || (process.platform === 'win32' && process.env.LOCALAPPDATA) || join(homedir(), '.cache');
  return join(base, 'tidemark');
}

/** Where the blob for this Node, emitter code and ts-morph version lives (it may not exist yet). */
export function snapshotBlobPath(): string | undefined {
  try {
    const entry = join(distDir(), 'emit-snapshot.cjs');
    const version = (name: string) => (JSON.parse(readFileSync(createRequire(entry).resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
    // By content, not by path: every project with the same tidemark and ts-morph shares one blob.
    const key = createHash('sha256')
      .update(JSON.stringify([process.version, process.platform, process.arch, version('ts-morph'), version('@ts-morph/common')]))
      .update(readFileSync(entry))
      .digest('hex')
      .slice(0, 16);
    return join(cacheRoot(), `emitter-${process.version}-${key}.blob`);
  } catch {
    return undefined;
  }
}

/** Blobs are ~30 MB: keep the few built most recently (other Node versions, other tidemark versions). */
const KEEP_BLOBS = 4;

function pruneOldBlobs(keep: string): void {
  const dir = dirname(keep);
  const blobs = readdirSync(dir)
    .filter((f) => /^emitter-.*\.blob$/.test(f))
    .map((f) => join(dir, f))
    .filter((f) => f !== keep)
    .map((f) => ({ f, used: statSync(f).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  for (const { f } of blobs.slice(KEEP_BLOBS - 1)) rmSync(f, { force: true });
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
    if (code === 0) {
      renameSync(`${tmp}.blob`, blob);
      pruneOldBlobs(blob);
    }
  } finally {
    rmSync(`${tmp}.cjs`, { force: true });
    rmSync(`${tmp}.blob`, { force: true });
    rmSync(marker, { force: true });
  }
}
