// The app's load on MariaDB for bench/online.mjs: CLIENTS connections (mysql2), each issuing
// reads and writes on `item` at its share of RATE queries per second, paced on a fixed schedule
// so a blocked connection shows up as one long query rather than as fewer queries.
// Runs as its own process so the harness's own work never delays a query's timing.
//
// Input: env ONLINE_LOAD = JSON { url, clients, rate, rows, out }. Writes `out` when it gets
// SIGTERM (or its IPC 'stop'): one line per query, `end_epoch_ms latency_ms op error?`.
// Prints 'ready' on stdout once every connection is open.
import { createWriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import mysql from 'mysql2/promise';

const cfg = JSON.parse(process.env.ONLINE_LOAD ?? '{}');
const { url, clients, rate, rows, out } = cfg;
const samples = [];
let stopping = false;

// The same mix as the pgbench scripts: 70% reads by key, 20% updates, 10% inserts.
const rnd = (n) => 1 + Math.floor(Math.random() * n);
function nextQuery() {
  const p = Math.random();
  const id = rnd(rows);
  if (p < 0.7) return ['read', 'select * from item where id = ?', [id]];
  if (p < 0.9) return ['update', 'update item set quantity = quantity + 1 where id = ?', [id]];
  const c = rnd(100);
  return [
    'insert',
    'insert into item (name, quantity, ref_a, ref_b, cust_a, cust_b, nn_a, nn_b, code_a, code_b) values (?, 1, ?, ?, ?, ?, ?, ?, ?, ?)',
    [`load-${id}`, id, id, c, c, id, id, `c${c}`, `c${c}`],
  ];
}

async function client(conn, periodMs) {
  let next = performance.now() + Math.random() * periodMs;
  while (!stopping) {
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (stopping) break;
    const [op, sql, params] = nextQuery();
    const t = performance.now();
    let err = '';
    try {
      await conn.query(sql, params);
    } catch (e) {
      err = String(e.code ?? e.message).replace(/\s+/g, '_');
    }
    const lat = performance.now() - t;
    samples.push(`${(performance.timeOrigin + t + lat).toFixed(1)} ${lat.toFixed(2)} ${op}${err ? ` ${err}` : ''}`);
    // Behind schedule (the query was blocked): start again from now, as a pool would.
    next = Math.max(next + periodMs, performance.now());
  }
}

const conns = await Promise.all(Array.from({ length: clients }, () => mysql.createConnection(url)));
const periodMs = (1000 * clients) / rate;
const running = conns.map((c) => client(c, periodMs));
process.stdout.write('ready\n');

async function stop() {
  if (stopping) return;
  stopping = true;
  // A query still blocked is waited for: its latency is the number this process exists for.
  await Promise.all(running);
  await Promise.all(conns.map((c) => c.end().catch(() => {})));
  const w = createWriteStream(out);
  w.end(samples.join('\n') + '\n');
  w.on('finish', () => process.exit(0));
}
process.on('SIGTERM', stop);
process.on('message', (m) => m === 'stop' && stop());
