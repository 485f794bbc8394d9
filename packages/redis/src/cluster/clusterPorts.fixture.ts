// Test-only: claims loopback ports for a test cluster so parallel test files never collide.
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PORT_RANGE = { first: 7100, last: 7199 } as const;

/** Ports claimed for one test cluster, and the lock file that claims them. */
export interface PortBlock {
  readonly ports: number[];
  readonly lockFile: string;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Whether the process that wrote a lock file is still alive. */
function lockHolderAlive(lockFile: string): boolean {
  try {
    process.kill(Number(readFileSync(lockFile, 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

/** Claims `count` free ports (and their bus ports) with a lock file, so parallel test files never collide. */
export async function reservePorts(count: number): Promise<PortBlock> {
  for (let first = PORT_RANGE.first; first + count - 1 <= PORT_RANGE.last; first += count) {
    const lockFile = join(tmpdir(), `keel-redis-cluster-${first}.lock`);
    if (existsSync(lockFile) && !lockHolderAlive(lockFile)) rmSync(lockFile, { force: true });
    let fd: number;
    try {
      fd = openSync(lockFile, 'wx'); // exclusive: another test file holding the block makes this throw
    } catch {
      continue;
    }
    writeSync(fd, String(process.pid));
    closeSync(fd);
    const ports = Array.from({ length: count }, (_, i) => first + i);
    const free = await Promise.all(ports.flatMap((port) => [portFree(port), portFree(port + 10_000)]));
    if (free.every(Boolean)) return { ports, lockFile };
    rmSync(lockFile, { force: true });
  }
  throw new Error(`No six free ports (and bus ports) left in ${PORT_RANGE.first}-${PORT_RANGE.last}.`);
}
