// Requests to an HTTP server without the network: keep-alive connections over in-memory duplex streams, handed to
// the server as its 'connection's. Node's own HTTP parser and response writer run as they would on a socket, so
// everything but the kernel's part of a request is there, in one thread, and nothing else on the machine takes
// part (what the instruction counts of http-instructions.ts need).
import type http from 'node:http';
import { Duplex } from 'node:stream';

const REQUEST = Buffer.from('GET /users/42 HTTP/1.1\r\nHost: bench\r\nConnection: keep-alive\r\n\r\n');
const OK = Buffer.from('HTTP/1.1 200 ');
/** A response starts a write of its own: Node writes the head first, with or without the body after it. */
const HEAD = Buffer.from('HTTP/1.');

export class InMemoryClient {
  readonly #connections: Duplex[] = [];
  /** Requests of the current run not sent yet, and sent but not answered. */
  #unsent = 0;
  #unanswered = 0;
  #settle: ((error?: Error) => void) | undefined;

  constructor(server: http.Server, connections: number) {
    for (let i = 0; i < connections; i++) {
      const connection: Duplex = new Duplex({
        read() {},
        write: (chunk: Buffer, _encoding, callback) => {
          callback();
          if (chunk.subarray(0, HEAD.length).equals(HEAD)) this.#answered(connection, chunk);
        },
      });
      // what the server calls on a net.Socket; these connections have no timers or Nagle to set
      Object.assign(connection, { setTimeout: () => connection, setNoDelay: () => connection, setKeepAlive: () => connection });
      server.emit('connection', connection);
      this.#connections.push(connection);
    }
  }

  /** Sends `requests` GET /users/42 over the connections, each sending its next once answered; resolves when all are answered with 200. */
  run(requests: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#settle = (error) => (error === undefined ? resolve() : reject(error));
      const first = Math.min(requests, this.#connections.length);
      this.#unsent = requests - first;
      this.#unanswered = requests;
      for (let i = 0; i < first; i++) this.#connections[i]!.push(REQUEST);
    });
  }

  #answered(connection: Duplex, head: Buffer): void {
    if (!head.subarray(0, OK.length).equals(OK)) {
      this.#settle?.(new Error(`the server answered ${head.subarray(0, 40).toString('latin1').split('\r\n')[0]}`));
      return;
    }
    if (--this.#unanswered === 0) this.#settle?.();
    else if (this.#unsent > 0) {
      this.#unsent--;
      // after the server has finished with this response, as a client's next request would come
      process.nextTick(() => connection.push(REQUEST));
    }
  }
}
