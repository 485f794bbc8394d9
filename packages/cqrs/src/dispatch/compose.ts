import { telemetryEnabled } from '@keel/core';
import type { Message } from '@keel/core';
import type { Middleware, MessageContext, Next } from '../middleware/middleware.js';
import { spanOf, withMessage, withOverrides } from './dispatchContext.js';

/** The innermost step of a pipeline: the handler call. */
export type Terminal = (context: MessageContext) => Promise<unknown>;

/**
 * The synchronous form of a middleware that, on a given call, only checks or replaces the message
 * before the rest of the pipeline runs and does nothing after it: it returns the message to hand on
 * (the same one when nothing changes), or `undefined` when this call needs the full middleware
 * (e.g. an enabled logger, an asynchronous schema). It may throw to refuse the message. A message
 * it returns in place of the context's must not refer to the context's message, which may be one
 * that is not frozen yet and is dropped (see {@link Pipeline}).
 */
export type InlineStep = (context: MessageContext) => Message | undefined;

/** The inline forms of Keel's own middleware, found once when a pipeline is composed. */
const inlineSteps = new WeakMap<Middleware, InlineStep>();

/**
 * Gives `middleware` an inline form: a composed pipeline then runs it as a plain function call
 * (no `next` closure, no overrides object) whenever `inline` can decide the call by itself.
 * Whatever `inline` decides must be what `middleware` would do on that call.
 */
export function withInlineStep(middleware: Middleware, inline: InlineStep): Middleware {
  inlineSteps.set(middleware, inline);
  return middleware;
}

/**
 * A composed pipeline. `unfrozen`, when given, is the context's message: an envelope built for
 * this dispatch alone (by `send`) and not frozen yet. Keel's own inline steps, which never keep
 * it, may see it; it is frozen in place before any other middleware or the handler sees it, and
 * never at all when an inline step replaces it (validation with the parsed data): one
 * `Object.freeze` less per validated `send`.
 */
export type Pipeline = (context: MessageContext, unfrozen?: Message) => Promise<unknown>;

/**
 * Composes middleware around `terminal` once, so each dispatch only walks prebuilt closures.
 * The first middleware is the outermost. When the dispatch has a span (telemetry is on), each
 * step adds a span event `middleware {name}` as it starts: the function's name, else
 * `#{position}` (1-based).
 *
 * @param terminal The handler call. Handed an unfrozen message, it must freeze it first; a
 *   terminal of a pipeline that is never handed one (the event bus's) may ignore it.
 */
export function compose(middleware: readonly Middleware[], terminal: Pipeline): Pipeline {
  let run = terminal;
  for (let index = middleware.length - 1; index >= 0; index--) {
    const step = middleware[index]!;
    const name = step.name || `#${index + 1}`;
    const note = spanNote(`middleware ${name}`, Object.freeze({ 'keel.middleware.name': name }));
    const inline = inlineSteps.get(step);
    run = inline === undefined ? fullStep(step, run, note) : inlineStep(inline, step, run, note);
  }
  return run;
}

/** Adds the step's span event when the dispatch has a recording span. */
function spanNote(
  event: string,
  attributes: Readonly<Record<string, string>>,
): (context: MessageContext) => void {
  return (context) => {
    const span = spanOf(context);
    if (span?.recording === true) span.addEvent(event, attributes);
  };
}

/** Runs `step` with a `next` that applies its overrides to the context and continues with `rest`. */
function callStep(step: Middleware, rest: Terminal, context: MessageContext): Promise<unknown> {
  const next: Next = (overrides) =>
    rest(overrides === undefined ? context : withOverrides(context, overrides));
  return step(context, next);
}

/** A step run in full: a `next` closure per call; the message is frozen before the middleware sees it. */
function fullStep(step: Middleware, rest: Terminal, note: (context: MessageContext) => void): Pipeline {
  return (context, unfrozen) => {
    if (unfrozen !== undefined) Object.freeze(unfrozen);
    if (telemetryEnabled()) note(context);
    return callStep(step, rest, context);
  };
}

/**
 * Runs `inline` and goes straight on with `rest`, handing on the unfrozen message when the step
 * keeps it; falls back to the full step (the message frozen first) when it cannot decide.
 */
function inlineStep(
  inline: InlineStep,
  step: Middleware,
  rest: Pipeline,
  note: (context: MessageContext) => void,
): Pipeline {
  return (context, unfrozen) => {
    // A dispatch has a span only while telemetry is installed: without it, no call at all.
    if (telemetryEnabled()) note(context);
    let message: Message | undefined;
    try {
      message = inline(context);
    } catch (error) {
      return Promise.reject(error);
    }
    if (message === context.message) return rest(context, unfrozen);
    if (message !== undefined) return rest(withMessage(context, message)); // the unfrozen one is dropped
    if (unfrozen !== undefined) Object.freeze(unfrozen); // the full middleware sees it
    return callStep(step, rest, context);
  };
}
