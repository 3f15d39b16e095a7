// The emitter as a process of its own: it loads ts-morph on start, on another core, while
// the main process loads the entities.
import module from 'node:module';

module.enableCompileCache?.();
const { serve } = await import('./emit-service.ts');
serve();
