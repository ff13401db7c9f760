// A vitest pool whose test workers run on another Node binary (here an arm64 one, under qemu-user): vitest itself,
// with its x64-only native parts (rolldown), stays on this Node and sends the worker transformed modules, so a test
// file, the fixtures it starts with process.execPath and their children all run on the chosen Node.
// vitest's own forks pool always forks process.execPath; this one is that pool with `execPath` given (vitest 4's
// experimental custom pool API: an object with `name` and `createPoolWorker`).
import { fork } from 'node:child_process';
import { ForksPoolWorker } from 'vitest/node';

const STOP_GRACE_MS = 2_000;

class ForeignNodeWorker extends ForksPoolWorker {
  #execPath;
  #child;

  constructor(options, name, execPath) {
    super(options);
    Object.defineProperty(this, 'name', { value: name });
    this.#execPath = execPath;
  }

  get #proc() {
    if (this.#child === undefined) throw new Error(`${this.name}: the worker process was not started, or was stopped`);
    return this.#child;
  }

  on(event, callback) {
    this.#proc.on(event, callback);
  }

  off(event, callback) {
    this.#proc.off(event, callback);
  }

  send(message) {
    this.#proc.send(message);
  }

  async start() {
    this.#child ??= fork(this.entrypoint, [], { execPath: this.#execPath, env: this.env, execArgv: this.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  }

  async stop() {
    const child = this.#child;
    if (child === undefined) return;
    const exited = new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve)));
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.kill();
    await exited;
    clearTimeout(kill);
    this.#child = undefined;
  }
}

/** The `pool` option: test workers forked with `execPath` (an emulated arm64 node, say). */
export function foreignNodePool(name, execPath) {
  return { name, createPoolWorker: (options) => new ForeignNodeWorker(options, name, execPath) };
}
