// Type-checked without skipLibCheck (tsconfig.libcheck.json): the declarations of the packages that need no
// framework's types must compile on their own, as a strict user's build checks them.
import { Counter, Gauge, Histogram, Summary } from '@mpmetrics/core';
import { metricsResponse } from '@mpmetrics/http';

export const declared: unknown[] = [Counter, Gauge, Histogram, Summary, metricsResponse];
