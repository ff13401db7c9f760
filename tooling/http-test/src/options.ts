// How every integration's option tests check a refusal: the error's class, a message that starts with the
// package name and says what was wrong, and a stable MPM_ERR_ code.
import { expect } from 'vitest';

export async function expectRefused(packageName: string, make: () => unknown, kind: typeof TypeError | typeof RangeError, says: string): Promise<void> {
  let error: unknown;
  try {
    await make();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(kind);
  expect((error as Error).message.startsWith(`${packageName}: `)).toBe(true);
  expect((error as Error).message).toContain(says);
  expect((error as { code?: string }).code).toMatch(/^MPM_ERR_/);
}
