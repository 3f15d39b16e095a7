import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestProject } from '../e2e/project.ts';
import { observe, start, WAIT_M1, WAIT_M2, writeWaiting } from './runner-fixtures.ts';
import { freshDatabase, SERVERS, unavailable } from './servers.ts';

/**
 * PostgreSQL behind PgBouncer in transaction pooling: the pooler hands a backend to another
 * client between transactions, so a session-level advisory lock would let two runs in at once
 * and stay behind on a pooled backend. A real pgbouncer (the Debian package) runs here, started
 * on a free port with `pool_mode = transaction` in front of the test server.
 */

const BIN = '/usr/sbin/pgbouncer';
const skip = await unavailable('postgresql');

function install(): void {
  if (existsSync(BIN)) return;
  // The package, as a deploy would have it; root is needed (the test machines run as root).
  const r = spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer'], { encoding: 'utf8' });
  if (!existsSync(BIN)) throw new Error(`pgbouncer is not installed and 'apt-get install pgbouncer' failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

interface Bouncer {
  port: number;
  stop(): Promise<void>;
}

async function startBouncer(): Promise<Bouncer> {
  install();
  const server = new URL(SERVERS.postgresql);
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-pgbouncer-'));
  // pgbouncer refuses to run as root: it drops to the postgres user, which must read these files.
  chmodSync(dir, 0o755);
  const port = await freePort();
  writeFileSync(join(dir, 'userlist.txt'), `"${decodeURIComponent(server.username) || 'postgres'}" ""\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    `[databases]
* = host=${server.hostname} port=${server.port || 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${join(dir, 'userlist.txt')}
pool_mode = transaction
; Hand out server connections in turn (FIFO), as a busy pooler effectively does: with the
; default (LIFO) a lone run tends to get its lock backend back by luck.
server_round_robin = 1
max_client_conn = 200
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
`,
  );
  const args = [...(process.getuid?.() === 0 ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')];
  const child: ChildProcess = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // Ready when it accepts a connection and a query gets through to the server.
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited at start: ${log.trim()}`);
    const client = new pg.Client({ host: '127.0.0.1', port, user: decodeURIComponent(server.username) || 'postgres', database: server.pathname.slice(1) });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`pgbouncer did not accept connections: ${(error as Error).message}; ${log.trim()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const M1 = WAIT_M1;
const M2 = WAIT_M2;
const writeMigrations = writeWaiting;

describe.skipIf(Boolean(skip))(`PostgreSQL behind PgBouncer (pool_mode = transaction)${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let bouncer: Bouncer;
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    bouncer = await startBouncer();
  }, 180_000);
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await bouncer?.stop();
  });

  it('two runs through the pooler: the second waits for the lock and gives up (75), each migration runs once, no advisory lock is left on a pooled backend', async () => {
    const p = new TestProject();
    cleanups.push(() => p.dispose());
    const db = await freshDatabase('postgresql');
    cleanups.push(db.drop);
    const name = new URL(db.url).pathname.slice(1);
    const pooled = new URL(db.url);
    pooled.port = String(bouncer.port);

    // Direct connections for the test: a gate the first migration waits at, and a view of the server.
    const admin = new pg.Client(db.url);
    await admin.connect();
    cleanups.push(() => admin.end());
    const gate = new pg.Client(db.url);
    await gate.connect();
    cleanups.push(() => gate.end());
    const key = Math.floor(Math.random() * 2 ** 40);
    await gate.query('select pg_advisory_lock($1::bigint)', [key]);
    writeMigrations(p, `select pg_advisory_xact_lock(${key}) as tm_wait`);
    const gatePid = (await gate.query('select pg_backend_pid() as pid')).rows[0].pid;

    // A pooler in use has server connections open: warm it with a few.
    const warm = Array.from({ length: 4 }, () => new pg.Client(pooled.toString()));
    await Promise.all(warm.map(async (c) => (await c.connect(), await c.query('begin'), await c.query('select 1'))));
    await Promise.all(warm.map(async (c) => (await c.query('commit'), await c.end())));

    const first = start(p, ['migrate', 'up', '--url', pooled.toString()]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await admin.query(`select 1 from pg_stat_activity where datname = $1 and query like 'select pg_advisory_xact_lock(%tm_wait' and wait_event_type = 'Lock'`, [name]);
      if (rows.length) break;
      if (Date.now() > deadline) throw new Error('the first run never reached its migration');
      const ended = await Promise.race([first.done, new Promise((r) => setTimeout(() => r(undefined), 50))]);
      if (ended) throw new Error(`the first run ended before its migration: ${(ended as { stderr: string }).stderr}`);
    }

    // The second run must find the lock held. If it got in, it would block on the first run's
    // uncommitted table: open the gate then, so the test ends and reports it.
    const second = start(p, ['migrate', 'up', '--url', pooled.toString(), '--lock-timeout', '1']);
    let racing = true;
    const blocked = (async () => {
      while (racing) {
        const { rows } = await admin.query(`select 1 from pg_stat_activity where datname = $1 and query like 'create table "t1"%' and wait_event_type = 'Lock'`, [name]);
        if (rows.length) return 'got in';
        await new Promise((r) => setTimeout(r, 50));
      }
      return undefined;
    })();
    const raced = await Promise.race([second.done, blocked]);
    racing = false;
    await blocked;
    await gate.query('select pg_advisory_unlock($1::bigint)', [key]);
    const [a, b] = await Promise.all([first.done, second.done]);
    expect(raced, `the second run got past the lock: ${b.stderr}`).not.toBe('got in');
    expect(b.code, b.stderr).toBe(75);
    expect(b.stderr).toMatch(/could not take the migration lock on .* within 1 s: it is held by /);
    expect(a.code, a.stderr).toBe(0);
    expect((await observe(db.url, 'postgresql', p.dir)).rows).toEqual([M1, M2].map((n) => ({ name: n, status: 'applied' })));

    // Every tidemark process has exited; pgbouncer keeps its server connections: none may hold a lock.
    const { rows: left } = await admin.query(
      `select l.pid from pg_locks l join pg_database d on d.oid = l.database where d.datname = $1 and l.locktype = 'advisory' and l.pid <> $2`,
      [name, gatePid],
    );
    expect(left, 'advisory locks left on pooled backends').toEqual([]);

    // And the lock is free for the next run through the pooler.
    const third = await start(p, ['migrate', 'up', '--url', pooled.toString(), '--lock-timeout', '2']).done;
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toContain('Already up to date');
  });
});
