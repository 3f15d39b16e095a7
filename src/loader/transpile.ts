/**
 * How a decorated file is transpiled: the one definition shared by the in-process loader and
 * the emitter process (which has TypeScript preloaded). Legacy decorators need
 * `emitDecoratorMetadata` for inferred types; files importing the TC39 decorators get those.
 */
type Ts = typeof import('@ts-morph/common').ts;

export const CACHE_FORMAT = 'tidemark-transpile-esm-1';

export function usesEsDecorators(source: string): boolean {
  return /from\s+['"]@mikro-orm\/decorators\/es['"]/.test(source);
}

export function transpileWith(ts: Ts, file: string, source: string): string {
  const es = usesEsDecorators(source);
  return ts.transpileModule(source, {
    fileName: file,
    reportDiagnostics: false,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: false,
      sourceMap: false,
      inlineSourceMap: true,
      inlineSources: false,
      experimentalDecorators: !es,
      emitDecoratorMetadata: !es,
      useDefineForClassFields: es,
    },
  }).outputText;
}
