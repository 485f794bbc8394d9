import type { Message, SpanOptions } from '@keel/core';
import { recordMetric, withSpan } from '@keel/core';
import { PROCESS_EVENTS } from '../telemetry/telemetry.js';

/**
 * Runs a process manager's handling of `event` in a `process_manager <name>` span (continuing
 * the event's trace when no span is active) and counts it in `keel.process_manager.events` by
 * outcome (`error` when handling rejected).
 */
export async function inProcessSpan<
  TResult extends { readonly outcome: string; readonly sent: readonly Message[] },
>(processName: string, event: Message, handle: () => Promise<TResult>): Promise<TResult> {
  const { metadata } = event;
  const options: SpanOptions = {
    kind: 'consumer',
    parent: metadata.headers,
    attributes: {
      'messaging.system': 'keel',
      'messaging.operation.type': 'process',
      'messaging.message.id': metadata.messageId,
      'messaging.message.conversation_id': metadata.correlationId,
      'keel.message.type': event.type,
      'keel.process.name': processName,
    },
  };
  const labels = { 'keel.process.name': processName, 'keel.message.type': event.type };
  return withSpan(`process_manager ${processName}`, options, async (span) => {
    try {
      const result = await handle();
      span.setAttributes({ 'keel.outcome': result.outcome, 'keel.command.count': result.sent.length });
      recordMetric(PROCESS_EVENTS, 1, { ...labels, 'keel.outcome': result.outcome });
      return result;
    } catch (error) {
      recordMetric(PROCESS_EVENTS, 1, { ...labels, 'keel.outcome': 'error' });
      throw error;
    }
  });
}
