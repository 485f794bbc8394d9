import { isSpanContextValid, propagation, trace, TraceFlags } from '@opentelemetry/api';
import type { Context, SpanContext, TextMapPropagator } from '@opentelemetry/api';
import { TRACEPARENT, TRACESTATE } from '@keel/core';
import type { TraceCarrier } from '@keel/core';

// version 00, 32 hex trace id, 16 hex span id, 2 hex flags (W3C Trace Context, level 1).
const TRACEPARENT_PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Reads a W3C `traceparent` (and `tracestate`) into a remote span context; `undefined` when invalid. */
export function parseTraceparent(carrier: TraceCarrier | undefined): SpanContext | undefined {
  const header = carrier?.[TRACEPARENT];
  if (typeof header !== 'string') return undefined;
  const match = TRACEPARENT_PATTERN.exec(header.trim().toLowerCase());
  if (match === null) return undefined;
  const spanContext: SpanContext = {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: Number.parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  if (!isSpanContextValid(spanContext)) return undefined;
  const state = carrier?.[TRACESTATE];
  if (typeof state === 'string' && state.length > 0) {
    const traceState = createTraceState(state);
    if (traceState !== undefined) return { ...spanContext, traceState };
  }
  return spanContext;
}

/** Writes `spanContext` as W3C `traceparent`/`tracestate` headers into `carrier`. */
export function writeTraceparent(spanContext: SpanContext, carrier: Record<string, string>): void {
  if (!isSpanContextValid(spanContext)) return;
  const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  carrier[TRACEPARENT] = `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
  const state = spanContext.traceState?.serialize();
  if (state !== undefined && state.length > 0) carrier[TRACESTATE] = state;
}

/**
 * How trace context moves in and out of carriers: the registered global propagator when the
 * application set one up (it may add baggage or other formats), and W3C Trace Context always.
 */
export interface TraceContextCodec {
  inject(active: Context, carrier: Record<string, string>): void;
  extract(parent: Context, carrier: TraceCarrier): Context;
}

/** A codec over `propagator` (default: the global one) that always speaks W3C Trace Context. */
export function traceContextCodec(propagator?: TextMapPropagator): TraceContextCodec {
  return {
    inject(active, carrier) {
      const spanContext = trace.getSpanContext(active);
      if (spanContext !== undefined) writeTraceparent(spanContext, carrier);
      if (propagator !== undefined) propagator.inject(active, carrier, defaultSetter);
      else propagation.inject(active, carrier);
    },
    extract(parent, carrier) {
      const extracted =
        propagator !== undefined
          ? propagator.extract(parent, carrier, defaultGetter)
          : propagation.extract(parent, carrier);
      if (trace.getSpanContext(extracted) !== undefined) return extracted;
      const spanContext = parseTraceparent(carrier);
      return spanContext === undefined ? parent : trace.setSpanContext(parent, spanContext);
    },
  };
}

const defaultSetter = {
  set: (carrier: Record<string, string>, key: string, value: string) => {
    carrier[key] = value;
  },
};

const defaultGetter = {
  keys: (carrier: TraceCarrier) => Object.keys(carrier),
  get: (carrier: TraceCarrier, key: string) => carrier[key],
};

/** A minimal W3C `tracestate` (list of `key=value`, at most 32 entries), enough to carry it along. */
function createTraceState(header: string): SpanContext['traceState'] {
  const entries = header
    .split(',')
    .map((part) => part.trim())
    .filter((part) =>
      /^[a-z0-9][_0-9a-z\-*/@]{0,255}=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/.test(
        part,
      ),
    )
    .slice(0, 32)
    .map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at), part.slice(at + 1)] as const;
    });
  if (entries.length === 0) return undefined;
  return traceStateOf(new Map(entries));
}

function traceStateOf(entries: ReadonlyMap<string, string>): NonNullable<SpanContext['traceState']> {
  return {
    get: (key) => entries.get(key),
    set: (key, value) => traceStateOf(new Map([[key, value], ...[...entries].filter(([k]) => k !== key)])),
    unset: (key) => traceStateOf(new Map([...entries].filter(([k]) => k !== key))),
    serialize: () => [...entries].map(([key, value]) => `${key}=${value}`).join(','),
  };
}
