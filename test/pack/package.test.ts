import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, describeRun, pack, REPO } from './app.ts';

/** What `npm pack` puts in the tarball, and that the tarball installs and runs with no install-time step. */

const NEEDED = ['package.json', 'bin/tidemark.mjs', 'dist/cli.mjs', 'dist/index.mjs', 'dist/runtime.mjs', 'dist/types/src/index.d.ts', 'dist/types/src/runtime/index.d.ts'];

function isRepoOnly(path: string): boolean {
  return /^(test|bench|src|codegen|scripts|entities|migrations|fixtures|node_modules)\//.test(path) || /(^|\/)fixtures\//.test(path) || /\.map$/.test(path) || /^tidemark\.config\./.test(path) || /^tsconfig/.test(path);
}

describe('the package', () => {
  it('npm pack --dry-run lists what users need and nothing of the repository', () => {
    // --ignore-scripts: the global setup's real `npm pack` has just built dist/; the listing is
    // the same without a third build.
    const from = process.env.TIDEMARK_PACK_FROM || REPO;
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: from,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(from, 'node_modules', '.bin')}${delimiter}${process.env.PATH}` },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout.slice(r.stdout.search(/^\[/m)))[0].files as { path: string }[]).map((f) => f.path).sort();
    // (Not compared with the tarball file by file: others may rebuild dist/, with new chunk
    // names, in this shared checkout between the two commands.)
    for (const f of NEEDED) expect(files).toContain(f);
    expect(files.filter(isRepoOnly)).toEqual([]);
  });

  it('the tarball holds the files npm reported, the same kind of list', () => {
    const r = spawnSync('tar', ['-tzf', pack().tarball], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const entries = r.stdout
      .split('\n')
      .filter((l) => l && !l.endsWith('/'))
      .map((l) => l.replace(/^package\//, ''))
      .sort();
    expect(entries).toEqual([...pack().files].sort());
    for (const f of NEEDED) expect(entries).toContain(f);
    expect(entries.filter(isRepoOnly)).toEqual([]);
    console.log(`tidemark tarball: ${pack().size} bytes packed, ${pack().unpackedSize} bytes unpacked, ${entries.length} files`);
  });

  describe('installed alone', { concurrent: false }, () => {
    let app: App;
    beforeAll(async () => {
      app = new App('alone');
      app.write('package.json', `${JSON.stringify({ name: 'alone', private: true }, null, 2)}\n`);
      // The tarball and its three required peers, no driver, no decorators. The peers are pinned
      // to one MikroORM release: left to npm, each would resolve to its own latest, and this
      // registry holds some @mikro-orm packages at releases the others do not have (ERESOLVE).
      await app.install({ '@mikro-orm/core': '7.2.1', '@mikro-orm/migrations': '7.2.1', '@mikro-orm/sql': '7.2.1' });
    }, 300_000);
    afterAll(() => app?.dispose());

    it('installs with --ignore-scripts as the tarball is: nothing built or added at install', () => {
      const root = app.path('node_modules', 'tidemark');
      const installed = (readdirSync(root, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
        .filter((e) => e.isFile())
        .map((e) => relative(root, join(e.parentPath, e.name)))
        .filter((p) => !p.startsWith('node_modules/'))
        .sort();
      expect(installed).toEqual([...pack().files].sort());
    });

    it('node_modules/.bin/tidemark --help and --version work', async () => {
      const help = await app.tidemark(['--help']);
      expect(help.code, describeRun('tidemark --help', help)).toBe(0);
      for (const command of ['init', 'gen-migration', 'migrate up', 'migrate down', 'migrate status']) expect(help.stdout).toContain(command);
      const version = await app.tidemark(['--version']);
      expect(version.code, describeRun('tidemark --version', version)).toBe(0);
      expect(version.stdout.trim()).toBe(JSON.parse(app.read('node_modules/tidemark/package.json')).version);
    });

    it('without a config, says so in one line and exits 1', async () => {
      const r = await app.tidemark(['migrate', 'status']);
      expect(r.code, describeRun('tidemark migrate status', r)).toBe(1);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/^tidemark: .*config/);
    });
  });
});
