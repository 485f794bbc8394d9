import { InProcessEventTransport } from '../transport/inProcessEventTransport.js';
import { eventTransportContract } from './eventTransportContract.js';

eventTransportContract('InProcessEventTransport', () => new InProcessEventTransport());
