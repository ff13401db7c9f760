// Prints result tables and keeps them in docs/BENCHMARKS.md, each between its own markers, so suites can be
// refreshed one at a time without touching the prose around them.
import fs from 'node:fs';

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

export function writeSection(file: string, marker: string, body: string): void {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const block = `${start}\n${body}\n${end}`;
  const at = text.indexOf(start);
  const until = text.indexOf(end);
  const next = at >= 0 && until > at ? text.slice(0, at) + block + text.slice(until + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(file, next);
}

export function machineLine(): string {
  return `Node ${process.version}, V8 ${process.versions.v8}, ${process.arch}, measured ${new Date().toISOString().slice(0, 10)}`;
}
