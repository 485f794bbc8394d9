import type { Middleware, MessageContext } from '../middleware/middleware.js';
import { spanOf, withOverrides } from './context.js';

/** The innermost step of a pipeline: the handler call. */
export type Terminal = (context: MessageContext) => Promise<unknown>;

/**
 * Composes middleware around `terminal` once, so each dispatch only walks prebuilt closures.
 * The first middleware is the outermost. When the dispatch has a span (telemetry is on), each
 * step adds a span event `middleware {name}` as it starts: the function's name, else
 * `#{position}` (1-based).
 */
export function compose(middleware: readonly Middleware[], terminal: Terminal): Terminal {
  let run = terminal;
  for (let index = middleware.length - 1; index >= 0; index--) {
    const step = middleware[index]!;
    const next = run;
    const name = step.name || `#${index + 1}`;
    const event = `middleware ${name}`;
    const attributes = Object.freeze({ 'keel.middleware.name': name });
    run = (context) => {
      const span = spanOf(context);
      if (span?.recording === true) span.addEvent(event, attributes);
      return step(context, (overrides) =>
        next(overrides === undefined ? context : withOverrides(context, overrides)),
      );
    };
  }
  return run;
}
