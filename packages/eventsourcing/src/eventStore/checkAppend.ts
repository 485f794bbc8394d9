import { ValidationError } from '@keel/core';
import { isExpectedVersion } from './expectedVersion.js';

/**
 * Rejects an append whose stream name is empty or whose expected version is neither a sentinel
 * nor an integer >= 0, with a {@link ValidationError}. Stores call it before anything else.
 *
 * @param streamName The stream appended to.
 * @param expectedVersion The append's expected version.
 * @throws ValidationError listing both problems when both are wrong.
 */
export function checkAppend(streamName: unknown, expectedVersion: unknown): void {
  const issues = [];
  if (typeof streamName !== 'string' || streamName.length === 0) {
    issues.push({
      path: ['streamName'],
      message: `must be a non-empty string; got ${JSON.stringify(streamName)}`,
    });
  }
  if (!isExpectedVersion(expectedVersion)) {
    issues.push({
      path: ['expectedVersion'],
      message: `must be an integer >= 0, NO_STREAM, STREAM_EXISTS or ANY; got ${JSON.stringify(expectedVersion)}`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues, { subject: 'append' });
}
