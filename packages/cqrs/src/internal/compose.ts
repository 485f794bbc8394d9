import type { Middleware, MessageContext } from '../middleware/middleware.js';
import { withOverrides } from './context.js';

/** The innermost step of a pipeline: the handler call. */
export type Terminal = (context: MessageContext) => Promise<unknown>;

/**
 * Composes middleware around `terminal` once, so each dispatch only walks prebuilt closures.
 * The first middleware is the outermost.
 */
export function compose(middleware: readonly Middleware[], terminal: Terminal): Terminal {
  let run = terminal;
  for (let index = middleware.length - 1; index >= 0; index--) {
    const step = middleware[index]!;
    const next = run;
    run = (context) =>
      step(context, (overrides) =>
        next(overrides === undefined ? context : withOverrides(context, overrides)),
      );
  }
  return run;
}
