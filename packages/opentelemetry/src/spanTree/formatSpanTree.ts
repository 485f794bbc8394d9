/** The parts of a finished span {@link formatSpanTree} reads (an SDK `ReadableSpan` has them all). */
export interface FinishedSpanLike {
  readonly name: string;
  spanContext(): { readonly traceId: string; readonly spanId: string };
  /** The parent's context (SDK 2.x); `parentSpanId` of older SDKs is read too. */
  readonly parentSpanContext?: { readonly spanId: string } | undefined;
  readonly parentSpanId?: string | undefined;
  /** `[seconds, nanoseconds]`, as OpenTelemetry's `HrTime`. */
  readonly startTime: readonly [number, number];
  readonly duration: readonly [number, number];
  /** `code` 2 is ERROR. */
  readonly status: { readonly code: number; readonly message?: string | undefined };
  readonly links?: readonly unknown[] | undefined;
  readonly events?: readonly { readonly name: string }[] | undefined;
}

/** Options of {@link formatSpanTree}. */
export interface FormatSpanTreeOptions {
  /** Show each span's events (retries, middleware steps) under it. @default false */
  events?: boolean | undefined;
}

/**
 * Renders finished spans as one indented tree per trace (names, durations, status), so a trace
 * can be read in a terminal without any backend.
 *
 * @example
 * ```ts
 * console.log(formatSpanTree(exporter.getFinishedSpans()));
 * // trace 4bf92f35…
 * // └─ POST /orders  12.4 ms
 * //    └─ command PlaceOrder  9.8 ms
 * ```
 */
export function formatSpanTree(
  spans: readonly FinishedSpanLike[],
  options: FormatSpanTreeOptions = {},
): string {
  const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
  const children = new Map<string, FinishedSpanLike[]>();
  const roots: FinishedSpanLike[] = [];
  for (const span of spans) {
    const parentId = parentIdOf(span);
    if (parentId !== undefined && byId.has(parentId)) {
      const siblings = children.get(parentId) ?? [];
      siblings.push(span);
      children.set(parentId, siblings);
    } else roots.push(span);
  }
  const lines: string[] = [];
  let trace: string | undefined;
  for (const root of roots.sort(byStart)) {
    const traceId = root.spanContext().traceId;
    if (traceId !== trace) {
      trace = traceId;
      lines.push(`trace ${traceId.slice(0, 8)}…`);
    }
    renderSpan(root, '', true, children, options, lines);
  }
  return lines.join('\n');
}

function renderSpan(
  span: FinishedSpanLike,
  indent: string,
  last: boolean,
  children: ReadonlyMap<string, FinishedSpanLike[]>,
  options: FormatSpanTreeOptions,
  lines: string[],
): void {
  const status =
    span.status.code === 2 ? `  ERROR${span.status.message ? `: ${span.status.message}` : ''}` : '';
  const links =
    span.links !== undefined && span.links.length > 0
      ? `  (${span.links.length} link${span.links.length === 1 ? '' : 's'})`
      : '';
  lines.push(
    `${indent}${last ? '└─' : '├─'} ${span.name}  ${formatDuration(span.duration)}${status}${links}`,
  );
  const childIndent = `${indent}${last ? '   ' : '│  '}`;
  if (options.events === true) {
    for (const event of span.events ?? []) lines.push(`${childIndent}· ${event.name}`);
  }
  const kids = (children.get(span.spanContext().spanId) ?? []).sort(byStart);
  kids.forEach((child, index) =>
    renderSpan(child, childIndent, index === kids.length - 1, children, options, lines),
  );
}

function parentIdOf(span: FinishedSpanLike): string | undefined {
  return span.parentSpanContext?.spanId ?? span.parentSpanId;
}

function byStart(a: FinishedSpanLike, b: FinishedSpanLike): number {
  return a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];
}

function formatDuration([seconds, nanos]: readonly [number, number]): string {
  const ms = seconds * 1_000 + nanos / 1_000_000;
  return ms >= 1_000 ? `${(ms / 1_000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}
