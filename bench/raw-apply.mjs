// Raw floor, Node flavour: execute the hand-written DDL (it carries its own BEGIN/COMMIT)
// through better-sqlite3 in one db.exec. Same as the peers' tools/raw/apply.mjs.
//   node bench/raw-apply.mjs <db file> <script.sql>
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';

const [dbFile, sqlFile] = process.argv.slice(2);
const db = new Database(dbFile);
db.exec(readFileSync(sqlFile, 'utf8'));
db.close();
