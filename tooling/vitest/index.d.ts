import type { UserConfig } from 'vitest/config';

/** The shared vitest settings, with `overrides` applied to `test`. */
export function defineTestConfig(overrides?: UserConfig['test']): UserConfig;
