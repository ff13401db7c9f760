// Where the running Node's own headers are, so that neither build downloads them: npm's `nodedir` setting,
// MPMETRICS_NODEDIR, or the prefix of the running Node (every official installation ships include/node there).
// Shared by build-native.mjs (shipped: `npx mpmetrics-build-native`) and build-prebuilds.mjs.
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The directories looked in, in order. */
export function nodeDirCandidates() {
  return [process.env.npm_config_nodedir, process.env.MPMETRICS_NODEDIR, path.resolve(path.dirname(process.execPath), '..')].filter(Boolean);
}

/** The first candidate holding include/node/node_api.h, or undefined. */
export function nodeDir() {
  return nodeDirCandidates().find((dir) => existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
}
