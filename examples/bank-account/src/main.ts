import { observeScenario } from './observed.js';
import { showTransfers } from './transferDemo.js';

console.log('Keel bank-account: CQRS buses over an event-sourced Account, with a read model\n');
const { result } = await observeScenario();
console.log(
  `\nDone on ${result.backend} stores: ${result.rejections.length} commands refused, ${result.balances.length} accounts in the read model.`,
);

console.log('\nTransfers between two accounts, each a saga with compensation (src/transfer.ts):');
await showTransfers();
