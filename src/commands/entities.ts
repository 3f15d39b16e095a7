import { globSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { ResolvedConfig } from '../config.ts';
import { EntityError } from '../errors.ts';
import { firstLine } from '../history/history.ts';
import { installTsLoader, loadUserModule } from '../loader/ts-loader.ts';

/** The entity classes the config names: classes as given, files matched by globs imported. */
export async function loadEntities(config: ResolvedConfig): Promise<Function[]> {
  installTsLoader({ cacheDir: config.cacheDir });
  const classes: Function[] = [];
  for (const entry of config.entities) {
    if (typeof entry === 'function') {
      classes.push(entry);
      continue;
    }
    const files = globSync(entry, { cwd: config.baseDir })
      .filter((f) => !/\.d\.[mc]?ts$/.test(f))
      .map((f) => resolve(config.baseDir, f))
      .sort();
    if (files.length === 0) throw new EntityError(`entities: '${entry}' matches no file (relative to ${relative(process.cwd(), config.baseDir) || '.'})`);
    // Imported together: the module loader links them as one graph instead of one by one.
    const mods = await Promise.all(
      files.map((file) =>
        loadUserModule(file).catch((error) => {
          throw new EntityError(`cannot load entity file ${relative(process.cwd(), file) || file}: ${firstLine(error)}`);
        }),
      ),
    );
    for (const mod of mods) for (const value of Object.values(mod)) if (typeof value === 'function' && !classes.includes(value)) classes.push(value);
  }
  return classes;
}
