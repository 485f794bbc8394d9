export { NatsEventTransport, createNatsEventTransport } from './transport/natsEventTransport.js';
export type { EnsureStreamOptions } from './transport/natsEventTransport.js';
export { NATS_TRANSPORT_DEFAULTS } from './transport/natsTransportOptions.js';
export type {
  NatsEventTransportOptions,
  NatsDeliverPolicy,
  NatsStorage,
  ResolvedNatsOptions,
} from './transport/natsTransportOptions.js';
export type { NatsDelivery, NatsHandler, NatsSubscribeOptions } from './transport/natsDelivery.js';

export { jsonEventCodec } from './codec/jsonEventCodec.js';
export type { EventCodec } from './codec/jsonEventCodec.js';
export { KEEL_HEADERS, ENVELOPE_VERSION } from './codec/headers.js';

export {
  NATS_ERROR_CODES,
  NatsOptionError,
  NatsInvalidSubjectError,
  NatsSerializationError,
  NatsPublishError,
  NatsSetupError,
  NatsTransportClosedError,
  NatsDeliveryLimitError,
  isNatsOptionError,
  isNatsInvalidSubjectError,
  isNatsSerializationError,
  isNatsPublishError,
  isNatsSetupError,
  isNatsTransportClosedError,
  isNatsDeliveryLimitError,
} from './errors/errors.js';
