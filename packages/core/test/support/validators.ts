// The reference tools (promtool, Python's parsers), shared with the web integrations' tests.
export * from '@mpmetrics/vitest-config/validators';
