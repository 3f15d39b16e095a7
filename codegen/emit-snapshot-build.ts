// Detached process started by gen-migration when the emitter's startup snapshot is missing.
import { buildSnapshot } from './emitter-snapshot.ts';

const [blob, marker] = process.argv.slice(2);
if (blob && marker) await buildSnapshot(blob, marker);
