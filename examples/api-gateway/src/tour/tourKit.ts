import type { Clock } from '@keel/core';
import type { UpstreamEvent } from '../gateway/upstream.js';
import type { System } from '../system.js';
import { GatewayClient } from './client.js';
import type { CallOptions, ClientResponse } from './client.js';

/** One request of the tour and what came of it. */
export interface TourStep {
  /** Stable id the smoke test looks steps up by. */
  readonly id: string;
  /** e.g. `GET /mobile/me`. */
  readonly request: string;
  /** Which client sent it. */
  readonly client: string;
  readonly status: number;
  /** Every status of the requests this row sums up (just `[status]` for a single request). */
  readonly statuses: readonly number[];
  /** One line on what happened. */
  readonly outcome: string;
  /** The gateway's `x-upstream-trace` header: every upstream attempt for this request. */
  readonly trace: string;
  /** The (last) response's headers and JSON body, for the smoke test. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: any;
}

/** A chapter of the tour: a story, its requests, and the events they caused. */
export interface TourSection {
  readonly title: string;
  readonly story: string;
  readonly steps: TourStep[];
  /** Breaker transitions, ejections and retries seen during the section. */
  readonly events: string[];
}

/** The tokens of the tour's clients. */
export interface TourTokens {
  /** The mobile app (partner plan), acting for Ada. */
  readonly mobile: string;
  /** The web front end (partner plan), acting for Ada. */
  readonly web: string;
  /** A script on the free plan (5 requests, then 2 per second). */
  readonly script: string;
}

function describe(event: UpstreamEvent): string | undefined {
  switch (event.kind) {
    case 'breaker':
      return `${event.upstream}: circuit ${event.from} → ${event.to}`;
    case 'ejected':
      return `${event.upstream}: replica ${event.replica} ejected for ${Math.round(event.forMs)} ms (outlier detection)`;
    case 'restored':
      return `${event.upstream}: replica ${event.replica} back in rotation`;
    case 'retry':
      return undefined; // counted, not listed: there are many
  }
}

/** The client id behind each token, as the gateway sees it. */
export const CLIENT_IDS: Readonly<Record<keyof TourTokens | 'anonymous', string>> = Object.freeze({
  mobile: 'mobile-app',
  web: 'web-app',
  script: 'report-script',
  anonymous: 'anonymous',
});

/** What every scene of the tour works with: the system, a client, tokens and a recorder. */
export class TourKit {
  readonly system: System;
  readonly client: GatewayClient;
  readonly tokens: TourTokens;
  readonly clock: Clock;
  readonly sections: TourSection[] = [];
  /** Every upstream event of the whole tour, in order. */
  readonly allEvents: UpstreamEvent[] = [];
  #retries = 0;
  #pending: string[] = [];

  constructor(system: System, clock: Clock) {
    this.system = system;
    this.clock = clock;
    this.client = new GatewayClient(system.gateway.url);
    this.tokens = {
      mobile: system.token({ sub: CLIENT_IDS.mobile, user: 'ada', plan: 'partner' }),
      web: system.token({ sub: CLIENT_IDS.web, user: 'ada', plan: 'partner' }),
      script: system.token({ sub: CLIENT_IDS.script, user: 'alan', plan: 'free' }),
    };
    const { users, orders, catalog } = system.upstreams;
    for (const upstream of [users, orders, catalog]) {
      upstream.onEvent((event) => {
        this.allEvents.push(event);
        if (event.kind === 'retry') this.#retries++;
        const line = describe(event);
        if (line !== undefined) this.#pending.push(line);
      });
    }
  }

  /** Starts a new section of the tour. */
  section(title: string, story: string): void {
    this.#flush();
    this.sections.push({ title, story, steps: [], events: [] });
  }

  /** Sends a request as `client` and returns the answer (not recorded: see {@link TourKit.record}). */
  send(
    method: 'GET' | 'POST',
    path: string,
    client: keyof TourTokens | 'anonymous',
    options: CallOptions = {},
  ) {
    const token = client === 'anonymous' ? undefined : this.tokens[client];
    return this.client.call(method, path, { token, ...options });
  }

  /** Records a request's outcome in the current section and returns it. */
  record(
    id: string,
    request: string,
    client: string,
    response: ClientResponse,
    outcome: string,
    statuses: readonly number[] = [response.status],
  ): TourStep {
    const step: TourStep = {
      id,
      request,
      client,
      status: response.status,
      statuses,
      outcome,
      trace: response.headers.get('x-upstream-trace') ?? '',
      headers: Object.fromEntries(response.headers),
      body: response.body,
    };
    this.#current().steps.push(step);
    return step;
  }

  /** Sends a request and records it in one go. */
  async step(
    id: string,
    method: 'GET' | 'POST',
    path: string,
    client: keyof TourTokens | 'anonymous',
    outcome: (response: ClientResponse) => string,
    options: CallOptions = {},
  ): Promise<ClientResponse> {
    const response = await this.send(method, path, client, options);
    this.record(id, `${method} ${path}`, CLIENT_IDS[client], response, outcome(response));
    return response;
  }

  /** Finishes the tour's bookkeeping: pending events go to the last section. */
  finish(): void {
    this.#flush();
  }

  #current(): TourSection {
    const section = this.sections.at(-1);
    if (section === undefined) this.section('Tour', '');
    return this.sections.at(-1)!;
  }

  #flush(): void {
    const section = this.sections.at(-1);
    if (section === undefined) return;
    if (this.#retries > 0)
      section.events.push(`retried ${this.#retries} failed attempt${this.#retries === 1 ? '' : 's'}`);
    section.events.push(...this.#pending);
    this.#retries = 0;
    this.#pending = [];
  }
}
