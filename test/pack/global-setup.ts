import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { REPO, type Pack } from './app.ts';

/**
 * Once per vitest run that includes test/pack: `npm pack` of the repository (its `prepack`
 * script builds dist/) into a fresh directory in os.tmpdir(), which also holds every app the
 * suite installs; removed after the run.
 */
export default function setup(project: TestProject): () => void {
  // TIDEMARK_PACK_FROM packs another checkout (e.g. an export of HEAD while the work tree is mid-change).
  const from = process.env.TIDEMARK_PACK_FROM || REPO;
  const runDir = mkdtempSync(join(tmpdir(), 'tidemark-pack-'));
  const started = Date.now();
  const r = spawnSync('npm', ['pack', '--json', '--pack-destination', runDir], {
    cwd: from,
    encoding: 'utf8',
    // npm and the build it runs use the repository's Node 24.
    env: { ...process.env, PATH: `${join(from, 'node_modules', '.bin')}${delimiter}${process.env.PATH}` },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    rmSync(runDir, { recursive: true, force: true });
    throw new Error(`npm pack exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  // Lifecycle scripts may print to stdout ahead of the JSON report.
  const json = JSON.parse(r.stdout.slice(r.stdout.search(/^\[/m)));
  const info = json[0] as { filename: string; size: number; unpackedSize: number; files: { path: string }[] };
  const pack: Pack = {
    runDir,
    tarball: join(runDir, info.filename),
    size: info.size,
    unpackedSize: info.unpackedSize,
    files: info.files.map((f) => f.path),
  };
  project.provide('tidemarkPack', pack);
  console.log(`tidemark pack: ${info.filename} ${info.size} bytes packed, ${info.unpackedSize} unpacked, ${info.files.length} files, in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return () => rmSync(runDir, { recursive: true, force: true });
}
