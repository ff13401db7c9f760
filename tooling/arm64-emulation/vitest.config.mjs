// test/: vitest on this x64 Node, starting arm64 Node processes of its own (installed-count.test.ts).
import { defineTestConfig } from '@mpmetrics/vitest-config';

export default defineTestConfig();
