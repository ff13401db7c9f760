// The second writer of the metric contention benchmark: observes into the same histogram series in the same heap
// (MPMETRICS_DIR) while told to (see contention.ts).
import { serveContender } from './contention.js';
import { contendedObservations } from './metric-contention.js';

serveContender(contendedObservations());
