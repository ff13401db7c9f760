// Number checks for the update path: one typeof and one comparison when the value is fine.
import { MpmetricsRangeError } from '../errors.js';
import { kRecordTimed } from './symbols.js';
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

/** A metric or child with a startTimer(): what the timer's end records, with the labels given to start and end. */
export interface TimerTarget<L> {
  [kRecordTimed](seconds: number, startLabels: L | undefined, endLabels: L | undefined): void;
}

/**
 * prom-client's startTimer(): the returned function measures the seconds since now, records them into `target`,
 * and returns them. The function is all a timer allocates besides its two clock reads (no callback closure per
 * timer, and labels are merged only when both ends give some).
 */
export function startTimer<L>(target: TimerTarget<L>, startLabels?: L): (labels?: L) => number {
  const start = process.hrtime.bigint();
  return (endLabels) => {
    const seconds = secondsSince(start);
    target[kRecordTimed](seconds, startLabels, endLabels);
    return seconds;
  };
}

/** The labels a timer records with: prom-client merges the end's over the start's. */
export function timerLabels<L extends object>(startLabels: L | undefined, endLabels: L | undefined): L | undefined {
  if (endLabels === undefined) return startLabels;
  return startLabels === undefined ? endLabels : { ...startLabels, ...endLabels };
}
