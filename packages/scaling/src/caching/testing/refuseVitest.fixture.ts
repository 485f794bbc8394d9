// Makes any later import of vitest fail in this process, so a fixture that imports the contracts
// after it proves they load no vitest (vitest 4 itself can be imported outside its runner).
import { register } from 'node:module';

const hook = `export async function resolve(specifier, context, next) {
  if (/^(vitest|@vitest\\/)/.test(specifier)) {
    throw new Error('vitest was imported by ' + context.parentURL + ' (' + specifier + ')');
  }
  return next(specifier, context);
}`;

register(`data:text/javascript,${encodeURIComponent(hook)}`);
