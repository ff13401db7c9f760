// This folder (src/native, dist/native or dist/cjs/native). CommonJS in both builds, so `__dirname` exists here
// whether ESM or CommonJS loads it; `import.meta.url` would exist only in ESM.
module.exports = __dirname;
