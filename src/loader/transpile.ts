/**
 * How a decorated file is transpiled. Legacy decorators need `emitDecoratorMetadata`-style
 * output for inferred types, which esbuild cannot produce; swc can, and loads in ~25 ms
 * (TypeScript takes ~100 ms), ~1 ms a file. Files importing the TC39 decorators get those.
 */
type Swc = typeof import('@swc/core');

export const CACHE_FORMAT = 'tidemark-transpile-swc-1';

export function usesEsDecorators(source: string): boolean {
  return /from\s+['"]@mikro-orm\/decorators\/es['"]/.test(source);
}

export function transpileWith(swc: Swc, file: string, source: string): string {
  const es = usesEsDecorators(source);
  return swc.transformSync(source, {
    filename: file,
    swcrc: false,
    configFile: false,
    sourceMaps: 'inline',
    module: { type: 'es6' },
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      target: 'es2022',
      transform: es
        ? { decoratorVersion: '2022-03', useDefineForClassFields: true }
        : { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
  }).code;
}
