// A three-node NATS JetStream cluster on loopback for this package's cluster tests (not exported).
// Each node runs /usr/sbin/nats-server with its own store directory in a temp dir; client ports are
// taken from 4300-4399 and cluster ports from 6300-6399. Every wait is bounded in time.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servicesRequired } from '@keel/test-services';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';

/** Where the nats-server binary is expected. */
export const NATS_SERVER_BINARY = process.env.KEEL_NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

const NODES = 3;
const STARTUP_TIMEOUT_MS = 30_000;

/**
 * Why the cluster tests cannot run (the nats-server binary is missing), or `undefined` when they
 * can. Throws instead when `KEEL_REQUIRE_SERVICES=1` forbids skipping.
 */
export function clusterUnavailableReason(): string | undefined {
  if (existsSync(NATS_SERVER_BINARY)) return undefined;
  const reason = `${NATS_SERVER_BINARY} is missing (set KEEL_NATS_SERVER_BIN to point elsewhere)`;
  if (servicesRequired()) throw new Error(`${reason}, and KEEL_REQUIRE_SERVICES=1 forbids skipping.`);
  return reason;
}

/** One node of the cluster. */
export interface ClusterNode {
  /** The server name (`-n`), as JetStream reports it in `cluster.leader`. */
  readonly name: string;
  readonly clientPort: number;
  readonly clusterPort: number;
  readonly storeDir: string;
  process: ChildProcess | undefined;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => done(true));
  });
}

async function pickPorts(): Promise<{ client: number[]; cluster: number[] }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = Math.floor(Math.random() * (100 - NODES));
    const client = [0, 1, 2].map((i) => 4300 + offset + i);
    const cluster = [0, 1, 2].map((i) => 6300 + offset + i);
    const free = await Promise.all([...client, ...cluster].map(portFree));
    if (free.every(Boolean)) return { client, cluster };
  }
  throw new Error('No free ports for a NATS cluster in 4300-4399 / 6300-6399.');
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Three nats-server processes forming one JetStream cluster. */
export class NatsCluster {
  readonly nodes: readonly ClusterNode[];
  readonly #dir: string;
  readonly #clusterName: string;
  #forget: () => void = () => undefined;

  private constructor(dir: string, nodes: ClusterNode[], clusterName: string) {
    this.#dir = dir;
    this.nodes = nodes;
    this.#clusterName = clusterName;
  }

  /** Starts the three nodes and waits until JetStream has a meta leader. */
  static async start(): Promise<NatsCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'keel-nats-cluster-'));
    const { client, cluster } = await pickPorts();
    const id = Math.random().toString(36).slice(2, 8);
    const nodes: ClusterNode[] = client.map((clientPort, i) => ({
      name: `keel-${id}-n${i + 1}`,
      clientPort,
      clusterPort: cluster[i]!,
      storeDir: join(dir, `n${i + 1}`),
      process: undefined,
    }));
    const result = new NatsCluster(dir, nodes, `keel-${id}`);
    // If the test process dies before stop(), its servers must not outlive it.
    const killAll = (): void => nodes.forEach((node) => node.process?.kill('SIGKILL'));
    process.once('exit', killAll);
    result.#forget = () => process.off('exit', killAll);
    try {
      for (const node of nodes) await result.#spawn(node);
      await result.waitForMetaLeader();
    } catch (error) {
      await result.stop();
      throw error;
    }
    return result;
  }

  /** Every node's client URL, for a connection that fails over between them. */
  get servers(): string[] {
    return this.nodes.map((node) => `nats://127.0.0.1:${node.clientPort}`);
  }

  /** The node called `name`. */
  node(name: string): ClusterNode {
    const found = this.nodes.find((node) => node.name === name);
    if (found === undefined) throw new Error(`No cluster node is called "${name}".`);
    return found;
  }

  /** A connection given all three URLs, reconnecting quickly and forever. */
  connect(name = 'keel-nats-cluster-tests'): Promise<NatsConnection> {
    return connect({
      servers: this.servers,
      name,
      reconnectTimeWait: 100,
      maxReconnectAttempts: -1,
      pingInterval: 1_000,
    });
  }

  /**
   * Waits until JetStream has a meta leader that knows every peer: until a stream with one
   * replica per node can be placed (a probe stream, deleted at once).
   */
  async waitForMetaLeader(timeoutMs = STARTUP_TIMEOUT_MS): Promise<void> {
    const probe = `KEEL_CLUSTER_PROBE_${Math.random().toString(36).slice(2, 8)}`;
    await until('a JetStream meta leader that knows every node', timeoutMs, async () => {
      const nc = await connect({ servers: this.servers, timeout: 1_000, reconnect: false });
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.streams.add({
          name: probe,
          subjects: [],
          storage: StorageType.Memory,
          num_replicas: NODES,
        });
        await jsm.streams.delete(probe);
        return true;
      } finally {
        await nc.close();
      }
    });
  }

  /** Kills a node with SIGKILL (no clean shutdown) and waits for the process to exit. */
  async kill(name: string): Promise<void> {
    const node = this.node(name);
    const child = node.process;
    node.process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts a killed node again on the same ports and store directory. */
  async restart(name: string): Promise<void> {
    await this.#spawn(this.node(name));
  }

  /** Stops every node (SIGTERM, then SIGKILL after 5 s) and removes the store directories. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => this.#terminate(node)));
    this.#forget();
    await rm(this.#dir, { recursive: true, force: true });
  }

  async #terminate(node: ClusterNode): Promise<void> {
    const child = node.process;
    node.process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  async #spawn(node: ClusterNode): Promise<void> {
    const routes = this.nodes
      .filter((other) => other !== node)
      .map((other) => `nats://127.0.0.1:${other.clusterPort}`)
      .join(',');
    const args = [
      ...['-n', node.name, '-a', '127.0.0.1', '-p', String(node.clientPort)],
      ...['-js', '-sd', node.storeDir],
      ...['--cluster_name', this.#clusterName, '--cluster', `nats://127.0.0.1:${node.clusterPort}`],
      ...['--routes', routes],
    ];
    const log = await open(join(this.#dir, `${node.name}.log`), 'a');
    const child = spawn(NATS_SERVER_BINARY, args, { stdio: ['ignore', log.fd, log.fd] });
    node.process = child;
    child.once('exit', () => void log.close().catch(() => undefined));
    child.unref();
    const state = await until(`${node.name} to accept connections`, STARTUP_TIMEOUT_MS, async () => {
      if (child.exitCode !== null) return 'exited';
      return (await accepting(node.clientPort)) ? 'up' : undefined;
    });
    if (state === 'exited') throw new Error(`${node.name} exited with ${child.exitCode}; see ${this.#dir}.`);
  }
}
