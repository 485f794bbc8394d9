import { describe, expect, it } from 'vitest';
import { SqlError } from './errors.js';

const driverError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('SqlError hints', () => {
  it('says a session ended by a shutdown may or may not have committed, and what is safe to retry', () => {
    const error = new SqlError(
      driverError('57P01', 'terminating connection due to administrator command'),
      'SELECT 1',
    );
    expect(error.message).toContain('The server ended the session');
    expect(error.message).toContain('may or may not have committed');
    expect(error.message).toContain('an append with the same event ids is');
  });

  it('says a server that is starting or stopping is worth retrying later', () => {
    const error = new SqlError(driverError('57P03', 'the database system is shutting down'), 'SELECT 1');
    expect(error.message).toContain('retry once it accepts connections');
  });

  it('sends a write refused by a read-only replica to the primary', () => {
    const error = new SqlError(
      driverError('25006', 'cannot execute INSERT in a read-only transaction'),
      'INSERT INTO t VALUES (1)',
    );
    expect(error.message).toContain('send writes, locks and LISTEN to the primary');
  });
});
