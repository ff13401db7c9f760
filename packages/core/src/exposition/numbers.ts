// How numbers are spelled in the exposition formats.

/** A sample value: JavaScript's shortest round-trip spelling, with the formats' words for the non-finite. */
export function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

/**
 * The canonical spelling of an `le` or `quantile` label value, as OpenMetrics wants it and as the Go and Python
 * clients write it: always a decimal point or an exponent ("1.0", "0.005", "1e-05", "2.5e+06"), "+Inf".
 */
export function canonicalNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  // Go's shortest %g (which the Go client writes, and Python's client copies for le/quantile values) switches
  // to an exponent below 1e-4 and from 1e6: 0.0001 and 123456.0, but 1e-05 and 1e+06.
  if (exponent < -4 || exponent >= 6) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${frac}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const frac = digits.slice(exponent + 1);
  return `${sign}${whole}.${frac === '' ? '0' : frac}`;
}
