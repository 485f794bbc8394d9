import { runScenario } from './scenario.js';

console.log('Keel bank-account: event sourcing with snapshots, upcasting and a projection\n');
const result = await runScenario();
console.log(
  `\nDone: ${result.rejections.length} commands refused, ${result.balances.length} accounts in the read model.`,
);
