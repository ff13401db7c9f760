// The status_code label: the code as text, or its class ("2xx"), from tables made once, so a request allocates no
// string for it.
const CODES = Array.from({ length: 1000 }, (_, code) => String(code));
const CLASSES = Array.from({ length: 1000 }, (_, code) => `${Math.floor(code / 100)}xx`);

export function statusLabel(code: number, grouped: boolean): string {
  if (!Number.isInteger(code) || code < 0 || code > 999) return String(code);
  return grouped ? CLASSES[code]! : CODES[code]!;
}
