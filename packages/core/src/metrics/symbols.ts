// Symbol keys for the internals that metric classes share with their children, out of sight of users.

/** A child's exemplar update: `child[kWithExemplar](value, encodedLabels)` after (or with) the value's update. */
export const kWithExemplar = Symbol('mpmetrics.withExemplar');

/** What a timer's end records: `target[kRecordTimed](seconds, startLabels, endLabels)` (see values.ts, startTimer). */
export const kRecordTimed = Symbol('mpmetrics.recordTimed');
