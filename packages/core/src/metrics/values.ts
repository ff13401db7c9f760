// Number checks for the update path: one typeof and one comparison when the value is fine.
import { MpmetricsRangeError } from '../errors.js';
import { invalidNumber } from './validation.js';

/** An increment: a finite number ≥ 0 (1 when omitted). */
export function checkIncrement(value: unknown, what: string): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidNumber(what, value);
  if (value < 0) throw new MpmetricsRangeError(`${what} must not be negative (a counter only goes up), received ${value}`);
  return value;
}

/** Any finite number. */
export function checkFinite(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidNumber(what, value);
  return value;
}

/** Seconds since `start` (a process.hrtime.bigint() reading). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * prom-client's startTimer(): the returned function measures the seconds since now, hands them to `record` with
 * the labels it is given (undefined for none), and returns them.
 */
export function startTimer<L>(record: (seconds: number, labels: L | undefined) => void): (labels?: L) => number {
  const start = process.hrtime.bigint();
  return (labels) => {
    const seconds = secondsSince(start);
    record(seconds, labels);
    return seconds;
  };
}
