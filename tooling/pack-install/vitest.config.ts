import { defineTestConfig } from '@mpmetrics/vitest-config';

// packing five packages and two installs from the registry: minutes on a loaded 2-core machine
export default defineTestConfig({ testTimeout: 900_000 });
