// One app of the instruction-count benchmark, run under valgrind by http-instructions.ts (argv: framework, variant,
// warm-up requests, requests): serves the warm-up requests over in-memory connections, collects all garbage, serves
// the requests in one run, collects all garbage again, then exits. Two runs that differ only in the number of
// requests differ by what those requests cost, their garbage collection included (needs --expose-gc).
//
// The collection after the warm-up ends the incremental marking that start-up's growth of the old generation began
// (where it lands depends on how much the process loaded, not on what a request does), and takes with it the
// optimized code whose embedded maps died (V8 12 and 13: "embedded weak objects cleared"). The requests after it
// run in one stretch, so that no pause between two runs shows V8 paths it has no feedback for.
import process from 'node:process';
import { createApp, type AppVariant, type Framework } from './apps.js';
import { InMemoryClient } from './in-memory-client.js';

const [framework, variant, warmUp, requests] = process.argv.slice(2) as [Framework, AppVariant, string, string];
const gc = (globalThis as { gc?: () => void }).gc!;
const app = await createApp(framework, variant);
const client = new InMemoryClient(app.server, 8);
await client.run(Number(warmUp));
gc();
await client.run(Number(requests));
gc();
process.exit(0);
