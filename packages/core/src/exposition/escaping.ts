// Escaping, exactly as each format's grammar has it.

/** Label values, in both formats: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value;
}

/** HELP text in the Prometheus text format 0.0.4: backslash and line feed only. */
export function escapeHelpText(help: string): string {
  return /[\\\n]/.test(help) ? help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : help;
}

/** HELP text in OpenMetrics 1.0: backslash, line feed and double quote. */
export function escapeHelpOpenMetrics(help: string): string {
  return escapeLabelValue(help);
}
