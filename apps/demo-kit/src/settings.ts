// The demos' settings, from the environment, checked once at start with a message that says what was expected.
export interface DemoSettings {
  /** PORT (default 3000): where the demo listens (the launcher of unrelated processes uses PORT, PORT+1, …). */
  readonly port: number;
  /** HOST (default 127.0.0.1): the address to listen on; 0.0.0.0 to be reached from other machines. */
  readonly host: string;
  /** WORKERS (default 2): how many processes serve requests. */
  readonly workers: number;
}

function integer(name: string, fallback: number, min: number, max: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}; got "${text}"`);
  }
  return value;
}

export function demoSettings(): DemoSettings {
  return {
    port: integer('PORT', 3000, 0, 65535),
    host: process.env.HOST || '127.0.0.1',
    workers: integer('WORKERS', 2, 1, 64),
  };
}
