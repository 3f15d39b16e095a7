import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, TestProject } from './project.ts';

/**
 * Entity loading is linear in files: one import graph for all entity files, not one per file.
 * Node instantiates each `import()` by visiting every module job the imported module reaches
 * (it logs each visit under NODE_DEBUG=esm as `addJobsToDependencyGraph()`, with the URL that
 * was imported), so importing a chain of entities one file at a time visits files² / 2 jobs.
 * The test counts those visits (no timing): with one graph they grow by the few imports each
 * file has, whatever the chain's depth.
 */

const projects: TestProject[] = [];
/** Where entity files log that they ran: under node_modules, which the check that nothing was written leaves out. */
const EVALUATED = 'node_modules/evaluated.txt';
afterAll(() => {
  for (const p of projects) p.dispose();
});

/** A project whose entities T0..T{n-1} form a chain (each has a many-to-one to the one before) and log each evaluation. */
function chain(n: number): TestProject {
  const p = new TestProject();
  projects.push(p);
  const log = JSON.stringify(join(p.dir, EVALUATED));
  for (let i = 0; i < n; i++) {
    const relation = i > 0;
    p.write(
      `entities/T${i}.ts`,
      `import { appendFileSync } from 'node:fs';
import { Entity, ${relation ? 'ManyToOne, ' : ''}PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
${relation ? `import { T${i - 1} } from './T${i - 1}.ts';\n` : ''}
appendFileSync(${log}, 'T${i}\\n');

@Entity({ tableName: 't${i}' })
export class T${i} {
  @PrimaryKey() id!: number;
  @Property() name!: string;
${relation ? `  @ManyToOne(() => T${i - 1}, { nullable: true }) parent?: T${i - 1};\n` : ''}}
`,
    );
  }
  return p;
}

/** Runs gen-migration with Node's ESM debug log, and counts the job visits of imports made to load entities. */
function entityGraphVisits(p: TestProject): number {
  const logFile = join(p.dir, 'esm-debug.txt');
  // The log prints every visited job in full: megabytes, so to a file rather than a pipe.
  const fd = openSync(logFile, 'w');
  try {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'tidemark.mjs'), 'gen-migration', '-m', 'init'], {
      cwd: p.dir,
      env: { ...process.env, DATABASE_URL: '', NODE_DEBUG: 'esm' },
      stdio: ['ignore', 'ignore', fd],
      timeout: 120_000,
    });
    expect(r.status, readFileSync(logFile, 'utf8').slice(-2000)).toBe(0);
  } finally {
    closeSync(fd);
  }
  const entities = `file://${join(p.dir, 'entities')}/`;
  let visits = 0;
  for (const m of readFileSync(logFile, 'utf8').matchAll(/ addJobsToDependencyGraph\(\) (\S+)/g)) {
    // Imports of entity files, or of an entry tidemark makes for them (whatever its URL scheme).
    if (m[1]!.startsWith(entities) || !m[1]!.startsWith('file:')) visits++;
  }
  return visits;
}

const evaluated = (p: TestProject) => p.read(EVALUATED).trim().split('\n').sort();

describe('entity loading', () => {
  it('is one import graph: job visits grow with the files, not with files × chain depth, and each file runs once', () => {
    const one = chain(1);
    const base = entityGraphVisits(one);
    // Node still logs the visits: otherwise the bound below would hold for nothing.
    expect(base).toBeGreaterThan(0);
    expect(evaluated(one)).toEqual(['T0']);

    const n = 60;
    const many = chain(n);
    const visits = entityGraphVisits(many);
    // Each file adds its own job and its four imports (fs, MikroORM's decorators, the previous
    // entity, the entry's import of it). One import() per file visited ~n²/2 + n × base (> 2,500 here).
    expect(visits).toBeLessThanOrEqual(base + 5 * n);
    expect(evaluated(many)).toEqual(Array.from({ length: n }, (_, i) => `T${i}`).sort());
    expect(many.read(`migrations/${many.migrations()[0]}`).match(/createTable\(/g)).toHaveLength(n);
  });

  it('keeps the order of the files when CommonJS ones (required one by one) sit between ES modules', () => {
    const p = new TestProject();
    projects.push(p);
    const log = JSON.stringify(join(p.dir, EVALUATED));
    const entity = (name: string) => `import { appendFileSync } from 'node:fs';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

appendFileSync(${log}, '${name}\\n');

@Entity({ tableName: '${name.toLowerCase()}' })
export class ${name} {
  @PrimaryKey() id!: number;
  @Property() name!: string;
}
`;
    p.write('tidemark.config.ts', p.read('tidemark.config.ts').replace("['./entities/*.ts']", "['./entities/*.ts', './entities/*.cts']"));
    for (const [name, ext] of [['A1', 'ts'], ['A2', 'ts'], ['B', 'cts'], ['C1', 'ts'], ['C2', 'ts']]) p.write(`entities/${name}.${ext}`, entity(name!));
    p.ok(['gen-migration', '-m', 'init']);
    expect(p.read(EVALUATED).trim().split('\n')).toEqual(['A1', 'A2', 'B', 'C1', 'C2']);
    expect(p.read(`migrations/${p.migrations()[0]}`).match(/createTable\('\w+'/g)).toEqual(["createTable('a1'", "createTable('a2'", "createTable('b'", "createTable('c1'", "createTable('c2'"]);
  });

  /** Three chained entities, T1 in the middle replaced by `body` (given the evaluation log's path). */
  const failing = (body: (log: string) => string) => {
    const p = chain(3);
    p.write('entities/T1.ts', body(JSON.stringify(join(p.dir, EVALUATED))));
    const before = p.files();
    const r = p.run(['gen-migration', '-m', 'x']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(p.files()).toEqual(before);
    return { r, p };
  };
  it('names the file that throws as it runs, and runs none of them twice', () => {
    const { r, p } = failing((log) => `import { appendFileSync } from 'node:fs';\nimport { T0 } from './T0.ts';\nappendFileSync(${log}, 'T1\\n');\nthrow new Error('boom in T1');\nexport class T1 {}\n`);
    expect(r.stderr).toMatch(/^tidemark: cannot load entity file entities\/T1\.ts: boom in T1 \(entities\/T1\.ts:4\)/);
    // T0 and the failing T1 ran once each (T1's error is Node's cached one when it is blamed); T2, after it, never.
    expect(p.read(EVALUATED).trim().split('\n')).toEqual(['T0', 'T1']);
  });

  it('names the file with an import that does not resolve', () => {
    const { r } = failing(() => `import { Missing } from './Missing.ts';\nexport class T1 { m = Missing; }\n`);
    expect(r.stderr).toMatch(/^tidemark: cannot load entity file entities\/T1\.ts: .*Missing\.ts/);
  });

  it('names the file that imports a name its module does not export', () => {
    const { r } = failing(() => `import { Nope } from './T0.ts';\nexport class T1 { n = Nope; }\n`);
    expect(r.stderr).toMatch(/^tidemark: cannot load entity file entities\/T1\.ts: .*does not provide an export named 'Nope'/);
  });

  it('names the file with a syntax error, at its line', () => {
    const { r } = failing(() => `export class T1 {\n  id = ;\n}\n`);
    expect(r.stderr).toMatch(/^tidemark: cannot load entity file entities\/T1\.ts: .*\(entities\/T1\.ts:2:/);
  });
});
