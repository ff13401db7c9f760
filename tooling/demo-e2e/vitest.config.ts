import { defineTestConfig } from '@mpmetrics/vitest-config';

export default defineTestConfig();
