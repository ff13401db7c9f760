// The layers of src, bottom to top (docs/ARCHITECTURE.md, "Packages and layers"): a module imports only from its
// own layer or the ones below. Read by eslint.config.js, which turns it into no-restricted-imports rules so `pnpm
// lint` refuses an upward import, and by test/layers.test.ts, which also catches import() and require().

/** '.' is the top-level files (errors.ts, symbols.ts); index.ts only wires, so it sits on top. */
export const LAYERS = ['.', 'native', 'heap', 'metrics', 'exposition', 'registry', 'runtime', 'index'];

const SOURCES = '{ts,mts,cts,js,mjs,cjs}';

/** ESLint config blocks: for each layer, the relative specifiers of every layer above it are refused. */
export function layerImportRules() {
  return LAYERS.slice(0, -1).map((layer, at) => {
    const above = LAYERS.slice(at + 1);
    // a top-level file reaches a directory as ./dir/…, a module in a directory as ../dir/…
    const prefix = layer === '.' ? './' : '../';
    const group = above.flatMap((name) => (name === 'index' ? [`${prefix}index`, `${prefix}index.*`] : [`${prefix}${name}/*`]));
    return {
      files: layer === '.' ? [`src/*.${SOURCES}`] : [`src/${layer}/**/*.${SOURCES}`],
      ignores: layer === '.' ? [`src/index.${SOURCES}`] : [],
      rules: {
        'no-restricted-imports': ['error', { patterns: [{ group, message: `${layer === '.' ? 'A top-level file of src/' : `src/${layer}/`} is below ${above.join(', ')}: import only from its own layer or the ones below (docs/ARCHITECTURE.md, "Packages and layers").` }] }],
      },
    };
  });
}
