/** The driver's code and message, read from any thrown value (a `pg` error, an AggregateError…). */
export function driverFacts(cause: unknown): { code: string | undefined; reason: string } {
  const error = (typeof cause === 'object' && cause !== null ? cause : {}) as {
    code?: unknown;
    message?: unknown;
    errors?: unknown;
  };
  const code = typeof error.code === 'string' ? error.code : undefined;
  let reason = typeof error.message === 'string' ? error.message.trim() : '';
  // Node reports "localhost" (tried on ::1 and 127.0.0.1) as an AggregateError with no message.
  if (reason === '' && Array.isArray(error.errors))
    reason = error.errors
      .map((inner: unknown) => (inner instanceof Error ? inner.message : String(inner)))
      .join('; ');
  if (reason === '') reason = code ?? (typeof cause === 'string' ? cause : 'no reason given');
  return { code, reason: reason.replace(/\.$/, '') };
}

export function whatToCheck(code: string | undefined, where: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return `Check that PostgreSQL is running and listens on ${where}, and that the URL (e.g. KEEL_PG_URL) names the right host and port.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'The host name could not be resolved: check the host in the URL (e.g. KEEL_PG_URL) and your DNS.';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `Nothing answered at ${where}: check the host and port, the network path and any firewall in between.`;
    case '28P01':
    case '28000':
      return "The server refused the login: check the user and password in the URL and the server's pg_hba.conf.";
    case '3D000':
      return 'The database does not exist: create it (createdb) or fix the database name in the URL.';
    case '53300':
      return 'The server has no free connection slot: lower maxConnections or raise max_connections on the server.';
    default:
      return `Check that PostgreSQL is running at ${where}, that the URL (e.g. KEEL_PG_URL) is right, and that the server accepts this client.`;
  }
}

/** Where a client connects, as error messages name it. */
export interface DatabaseTarget {
  readonly engine: 'postgres' | 'pglite';
  /** The whole description, e.g. `127.0.0.1:5432 (database "test", user "postgres")`. */
  readonly where: string;
  /** Just the address, e.g. `127.0.0.1:5432`. */
  readonly address: string;
}

/** The target of an embedded PGlite database in `dataDir` (in memory when undefined). */
export function pgliteTarget(dataDir: string | undefined): DatabaseTarget {
  const where = dataDir === undefined ? 'in memory' : `in "${dataDir}"`;
  return { engine: 'pglite', where, address: where };
}

interface PgConnectionSettings {
  connectionString?: unknown;
  host?: unknown;
  port?: unknown;
  database?: unknown;
  user?: unknown;
}

/**
 * The target of a `pg` pool, read from its options (`connectionString`, or `host`, `port`,
 * `database`, `user`) as `pg` reads them, with the same `PG*` environment fallbacks. The
 * password is never part of it.
 */
export function pgTarget(options: unknown): DatabaseTarget {
  if (typeof options !== 'object' || options === null) {
    const unknown = 'the server the pool connects to';
    return { engine: 'postgres', where: unknown, address: unknown };
  }
  const settings = options as PgConnectionSettings;
  const parts = { ...fromEnvironment(), ...definedOf(settings) };
  if (typeof settings.connectionString === 'string') Object.assign(parts, fromUrl(settings.connectionString));
  const host = parts.host ?? 'localhost';
  const port = parts.port ?? '5432';
  const address = host.startsWith('/')
    ? `socket ${host}`
    : host.includes(':')
      ? `[${host}]:${port}`
      : `${host}:${port}`;
  const facts = [
    parts.database === undefined ? undefined : `database "${parts.database}"`,
    parts.user === undefined ? undefined : `user "${parts.user}"`,
  ].filter((fact) => fact !== undefined);
  return {
    engine: 'postgres',
    where: facts.length === 0 ? address : `${address} (${facts.join(', ')})`,
    address,
  };
}

type TargetParts = { host?: string; port?: string; database?: string; user?: string };

function definedOf(settings: PgConnectionSettings): TargetParts {
  const parts: TargetParts = {};
  for (const key of ['host', 'port', 'database', 'user'] as const) {
    const value = settings[key];
    if (typeof value === 'string' || typeof value === 'number') parts[key] = String(value);
  }
  return parts;
}

function fromEnvironment(): TargetParts {
  const env = typeof process === 'undefined' ? {} : process.env;
  return definedOf({
    host: env['PGHOST'],
    port: env['PGPORT'],
    database: env['PGDATABASE'],
    user: env['PGUSER'],
  });
}

function fromUrl(connectionString: string): TargetParts {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return {};
  }
  const parts: TargetParts = {};
  const host = url.searchParams.get('host') ?? decodeURIComponent(url.hostname);
  if (host !== '') parts.host = host.replace(/^\[(.*)\]$/, '$1');
  if (url.port !== '') parts.port = url.port;
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database !== '') parts.database = database;
  if (url.username !== '') parts.user = decodeURIComponent(url.username);
  return parts;
}
