#!/usr/bin/env node
// Start-up path: enable Node's compile cache first, then load only the CLI shell; each
// command imports what it needs when it runs.
import module from 'node:module';

const [major, minor] = process.versions.node.split('.').map(Number);
// Type stripping (loading the app's .ts config, entities and migrations) is on by default from 22.18.
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`tidemark: Node ${process.versions.node} is too old (tidemark needs >= 22.18); install a newer one (e.g. 'nvm install 24')\n`);
  process.exit(1);
}
module.enableCompileCache?.();
// A reader that stops early (`tidemark history | head -1`) closes the pipe: stop writing to it and
// let the command finish (a migration under way completes), instead of dying on an EPIPE stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
    stream.write = () => true;
  });
}
const args = process.argv.slice(2);
if (args[0] === 'gen-migration' && !args.some((a) => a === '--check' || a === '--help' || a === '-h')) {
  // Loading ts-morph is gen-migration's slowest step: start it on another core right away.
  (await import('../dist/emitter.mjs')).prewarmEmitter();
}
if (args[0] && !args[0].startsWith('-') && args[0] !== 'init' && !args.includes('--help') && !args.includes('-h')) {
  // The app's MikroORM, bundled once and cached, loads in a fraction of the time (this process only).
  const use = await (await import('../dist/mikro-orm-bundle.mjs')).useAppMikroOrmBundle(process.cwd());
  if (process.env.TIDEMARK_TIMING) {
    const said = use.kind === 'unbundled' ? `MikroORM unbundled (${use.reason})` : `MikroORM ${use.version}: bundle ${use.kind} in ${use.ms.toFixed(1)} ms (${use.dir})`;
    process.stderr.write(`[timing] ${performance.now().toFixed(1).padStart(7)} ms ${said}\n`);
  }
}
const { main } = await import('../dist/cli.mjs');
process.exitCode = await main(process.argv.slice(2));
