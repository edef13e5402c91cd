/**
 * Setup file of the unit lane. A unit test starts no process, thread or socket: that keeps the
 * lane fast and independent of what the machine has installed. A test that needs one belongs to
 * the integration lane, which is chosen by file name (`*.int.test.ts`); this turns a misplaced
 * test into a failure that says so, instead of a slow or machine-dependent fast lane.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);

function forbidden(what: string): never {
  throw new Error(
    `${what} in the unit lane: a test that starts processes, threads or sockets is an integration test; ` +
      'name its file *.int.test.ts',
  );
}

const childProcess = require('node:child_process') as Record<string, unknown>;
for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
  childProcess[name] = () => forbidden(`child_process.${name}()`);
}

const net = require('node:net') as typeof import('node:net');
net.Server.prototype.listen = () => forbidden('listening on a socket');
net.Socket.prototype.connect = () => forbidden('opening a socket');

const workerThreads = require('node:worker_threads') as Record<string, unknown>;
workerThreads.Worker = class {
  constructor() {
    forbidden('starting a worker thread');
  }
};

// ES module imports of these built-ins see the replacements too.
syncBuiltinESMExports();
