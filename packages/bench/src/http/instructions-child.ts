// One app of the instruction-count benchmark, run under valgrind by http-instructions.ts (argv: framework, variant,
// requests): serves that many requests over in-memory connections, collects all garbage, then exits. Two runs that
// differ only in the number of requests differ by what those requests cost, their garbage collection included
// (needs --expose-gc).
import process from 'node:process';
import { createApp, type AppVariant, type Framework } from './apps.js';
import { InMemoryClient } from './in-memory-client.js';

const [framework, variant, requests] = process.argv.slice(2) as [Framework, AppVariant, string];
const app = await createApp(framework, variant);
await new InMemoryClient(app.server, 8).run(Number(requests));
(globalThis as { gc?: () => void }).gc!();
process.exit(0);
