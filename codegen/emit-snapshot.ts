// Entry of the emitter's V8 startup snapshot (built on first use, see emitter-snapshot.ts):
// ts-morph and TypeScript are loaded and initialised while the snapshot is built, so a process
// started from it serves requests at once.
import { startupSnapshot } from 'node:v8';
import { handle, serve } from './emit-service.ts';

// Exercise the printer once so its lazy parts are in the snapshot too.
handle({ id: 0, op: 'emit', input: { id: '00000000000000_warm', parents: [], message: 'warm', up: [], down: [], warnings: [] } });

startupSnapshot.setDeserializeMainFunction(serve);
