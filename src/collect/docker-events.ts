// Docker `oom` events: the one live signal of an OOM kill inside a container that does not end
// it (a killed Celery child emits `oom`, no `die`; State.OOMKilled is unreliable, see
// platform-facts.md). A long-lived GET /events subscription, filtered to container oom events,
// accumulates them until the poller drains them into the next snapshot.
//
// Docker going away (restart, socket gone) ends the stream: we reconnect with exponential
// backoff and ask for the events `since` the moment we lost it, so a short outage loses none;
// the replay overlap is removed by event id and time.
import type Dockerode from 'dockerode';
import type { Logger } from '../log/logger.js';
import type { OomEvent } from '../model/snapshot.js';

export interface OomWatcherOptions {
  docker: Pick<Dockerode, 'getEvents'>;
  logger?: Logger;
  /** Epoch milliseconds. */
  clock?: () => number;
  /** Wait before the first reconnect; doubles per failed attempt up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Schedules a reconnect (tests drive it by hand); setTimeout, unref'd, by default. */
  schedule?: (fn: () => void, ms: number) => { cancel(): void };
  /** Events kept until drained; the oldest are dropped beyond this. */
  maxBuffered?: number;
}

export interface OomEventWatcher {
  /** The events seen since the last drain, oldest first. */
  drain(): OomEvent[];
  /** Whether the event stream is open right now. */
  connected(): boolean;
  /** Closes the stream and stops reconnecting. */
  stop(): void;
}

const FILTERS: Dockerode.GetEventsOptions['filters'] = { type: ['container'], event: ['oom'] };
/** A line longer than this is not an event; the buffer is dropped rather than grown. */
const MAX_LINE = 1024 * 1024;
/** Keys of recent events, to drop the overlap a `since` replay brings. */
const MAX_SEEN = 1000;

interface DockerEventMessage {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  time?: number;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** Turns one line of the events stream into an OomEvent (null for anything else). */
export function parseOomEvent(line: string): { event: OomEvent; key: string } | null {
  let message: DockerEventMessage;
  try {
    message = JSON.parse(line) as DockerEventMessage;
  } catch {
    return null;
  }
  if (typeof message !== 'object' || message === null) return null;
  const action = message.Action ?? message.status;
  if (action !== 'oom' || (message.Type !== undefined && message.Type !== 'container')) return null;
  const containerId = message.Actor?.ID ?? message.id;
  if (typeof containerId !== 'string' || containerId === '') return null;
  const name = message.Actor?.Attributes?.name;
  const at =
    typeof message.timeNano === 'number' ? Math.floor(message.timeNano / 1e6) : typeof message.time === 'number' ? message.time * 1000 : Number.NaN;
  if (!Number.isFinite(at)) return null;
  return {
    event: { containerId, containerName: typeof name === 'string' && name !== '' ? name.replace(/^\//, '') : null, at },
    key: `${containerId}:${String(message.timeNano ?? message.time)}`,
  };
}

function defaultSchedule(fn: () => void, ms: number): { cancel(): void } {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
}

export function watchOomEvents(options: OomWatcherOptions): OomEventWatcher {
  const clock = options.clock ?? Date.now;
  const schedule = options.schedule ?? defaultSchedule;
  const initialBackoffMs = options.initialBackoffMs ?? 1000;
  const maxBackoffMs = options.maxBackoffMs ?? 60_000;
  const maxBuffered = options.maxBuffered ?? 1000;
  const log = options.logger;

  let stopped = false;
  let stream: NodeJS.ReadableStream | null = null;
  let pendingRetry: { cancel(): void } | null = null;
  let attempt = 0;
  /** Epoch ms from which a reconnect asks Docker to replay; null before the first connection. */
  let replayFrom: number | null = null;
  let buffered: OomEvent[] = [];
  const seen = new Set<string>();

  const accept = (line: string) => {
    const parsed = parseOomEvent(line);
    if (!parsed || seen.has(parsed.key)) return;
    seen.add(parsed.key);
    if (seen.size > MAX_SEEN) seen.delete(seen.values().next().value as string);
    buffered.push(parsed.event);
    if (buffered.length > maxBuffered) buffered = buffered.slice(-maxBuffered);
  };

  const retry = () => {
    if (stopped || pendingRetry) return;
    const delay = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.min(attempt, 30));
    attempt += 1;
    pendingRetry = schedule(() => {
      pendingRetry = null;
      connect();
    }, delay);
  };

  const lost = (from: NodeJS.ReadableStream, err?: unknown) => {
    if (stream !== from) return;
    stream = null;
    replayFrom = clock();
    if (!stopped) {
      if (err) log?.warn({ err }, 'Docker events stream failed; reconnecting');
      else log?.info('Docker events stream ended; reconnecting');
    }
    retry();
  };

  const connect = () => {
    if (stopped) return;
    // Docker's `since` is in seconds: back up one so an event in the same second is replayed (and de-duplicated).
    const since = replayFrom === null ? undefined : Math.floor(replayFrom / 1000) - 1;
    options.docker.getEvents(since === undefined ? { filters: FILTERS } : { since, filters: FILTERS }).then(
      (opened) => {
        if (stopped) {
          destroy(opened);
          return;
        }
        stream = opened;
        attempt = 0;
        let partial = '';
        opened.on('data', (chunk: Buffer | string) => {
          partial += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
          const lines = partial.split('\n');
          partial = lines.pop() ?? '';
          if (partial.length > MAX_LINE) partial = '';
          for (const line of lines) if (line.trim() !== '') accept(line);
        });
        opened.on('error', (err: unknown) => lost(opened, err));
        opened.on('end', () => lost(opened));
        opened.on('close', () => lost(opened));
      },
      (err: unknown) => {
        if (replayFrom === null) replayFrom = clock();
        if (attempt === 0) log?.warn({ err }, 'Cannot subscribe to Docker events; retrying');
        retry();
      },
    );
  };

  connect();

  return {
    drain() {
      const out = buffered;
      buffered = [];
      return out;
    },
    connected: () => stream !== null,
    stop() {
      stopped = true;
      pendingRetry?.cancel();
      pendingRetry = null;
      const open = stream;
      stream = null;
      if (open) destroy(open);
    },
  };
}

function destroy(stream: NodeJS.ReadableStream): void {
  const destroyable = stream as NodeJS.ReadableStream & { destroy?: () => void };
  destroyable.destroy?.();
}
