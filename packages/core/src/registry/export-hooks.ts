// Work to do in the scraping process right before it exports: the runtime metrics sample this process's own stats
// (other processes' stats are only readable by those processes, which sample on their own timers). A metric's
// `collect` does this for prom-client's registries; HeapExporter, which exports families it never declared, runs
// these hooks instead. Hooks are per thread and synchronous.

const hooks = new Set<() => void>();

export function addExportHook(hook: () => void): void {
  hooks.add(hook);
}

export function removeExportHook(hook: () => void): void {
  hooks.delete(hook);
}

export function runExportHooks(): void {
  for (const hook of hooks) hook();
}
