// A vitest setup file of core-on-arm64.config.mjs: a test file that would run on x64 (say, a vitest whose pools
// changed under arm64-pool.mjs) fails here instead of passing as if it had run on arm64.
if (process.arch !== 'arm64') throw new Error(`the core tests meant for arm64 run on ${process.arch} (${process.execPath})`);
