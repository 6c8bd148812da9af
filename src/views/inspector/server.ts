import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type WebSocket, WebSocketServer } from 'ws';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { PlayLogic } from '../../../machines/incident.js';
import type { RunJournal } from '../../engine/journal.js';
import type { TraceEntry } from '../../engine/trace.js';
import { packageRoot } from '../../toolkit/package-files.js';
import { tokenCheck } from '../../toolkit/token.js';
import { runShift, type ShiftOptions } from '../../world/drill.js';
import type { ShiftResult } from '../../world/result.js';
import type { Scenario } from '../../world/scenario.js';
import { chart, MACHINE_NAMES, type MachineName, toSvg, transitionFor } from '../export.js';
import { gate } from '../gate.js';
import { HOST, listen } from './listen.js';
import { pageHtml } from './page.js';
import { type ClientMessage, jsonSafe, payloadOf, type ServerMessage } from './protocol.js';

/**
 * The offline inspector: one HTTP + WebSocket server on 127.0.0.1. It serves a page (HTML, JS, CSS
 * and the statecharts as inline SVG, all from here: the page fetches nothing from anywhere else)
 * and, when a page asks, runs the shift and streams every event and transition the actors make.
 *
 * The shift runs on the simulated clock and so finishes in milliseconds; `speed` paces what the
 * page receives (transitions per second) so a person can follow it. Speed 0 sends each message the
 * moment the actor produces it.
 */

/** A running engine to watch instead of a shift to run: `runbook serve --inspector-port`. */
export interface LiveSource {
  /** The configuration's name, for the page's title. */
  name: string;
  /** The transitions so far, sent first. */
  trace(): readonly TraceEntry[];
  /** Streams what the actors do from now on; the returned function stops it. */
  watch(tap: { inspect(event: InspectionEvent): void; onTrace(entry: TraceEntry): void }): () => void;
}

export interface InspectorOptions {
  /** The shift to run; or, with `live`, only its name is shown. */
  scenario: Pick<Scenario, 'name'> & Partial<Scenario>;
  /** Watch a running engine rather than run the shift. */
  live?: LiveSource;
  /** The scenario's file, for error messages. */
  file?: string;
  plays?: Record<string, PlayLogic>;
  /** 0 picks a free port. */
  port?: number;
  /** Transitions per second sent to the page; 0 = as fast as the shift runs. */
  speed?: number;
  /** Start the shift as soon as a page connects (otherwise the page's Run button starts it). */
  autorun?: boolean;
  /** A stored run to replay instead of running the shift afresh (see ReplayJournal). */
  journal?: RunJournal;
  /**
   * When the API it sits beside has a bearer token (`runbook serve`), the page and its socket ask for
   * it too, as `?token=TOKEN` (a browser cannot give a WebSocket an Authorization header).
   */
  token?: string | null;
  /** A stored live run (`runbook serve`): replayed by its own engine instead of a shift, with no gate. */
  replay?: (hooks: Pick<ShiftOptions, 'inspect' | 'onTrace'>) => ShiftResult;
}

export interface Inspector {
  url: string;
  port: number;
  close(): Promise<void>;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
/** What the page loads, by path: its own files, and Panzoom from the package's dependencies. */
const ASSETS: Record<string, { type: string; file: () => string }> = {
  '/app.js': { type: JS, file: () => pageFile('app.js') },
  '/zoom.js': { type: JS, file: () => pageFile('zoom.js') },
  '/panzoom.js': {
    type: JS,
    file: () => createRequire(import.meta.url).resolve('@panzoom/panzoom/dist/panzoom.min.js'),
  },
  '/app.css': { type: CSS, file: () => pageFile('app.css') },
  '/diagram.css': { type: CSS, file: () => pageFile('diagram.css') },
};

const pageFile = (name: string) => join(packageRoot(), 'src', 'views', 'inspector', 'page', name);

/** The sim minute an actor is at: the machines keep the clock in their context (release: `now`, incident: `input.ops.now`). */
function simMinute(ref: AnyActorRef): number | null {
  const context = (ref.getSnapshot() as { context?: { now?: unknown; input?: { ops?: { now?: unknown } } } })
    .context;
  const now = context?.now ?? context?.input?.ops?.now;
  return typeof now === 'function' ? (now as () => number)() : null;
}

const machineOf = (actor: string, known: Map<string, MachineName>): MachineName =>
  known.get(actor) ?? (actor === 'release' ? 'release' : 'incident');

const isMachineName = (id: unknown): id is MachineName =>
  typeof id === 'string' && (MACHINE_NAMES as readonly string[]).includes(id);

export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const speed = options.speed ?? 2;
  const autorun = options.autorun ?? true;
  const svgs = {
    incident: await toSvg(chart('incident')),
    release: await toSvg(chart('release')),
  };
  const assets = Object.fromEntries(
    Object.entries(ASSETS).map(([path, asset]) => [path, readFileSync(asset.file(), 'utf8')]),
  );
  let port = options.port ?? 0;
  const origins = () => new Set([`http://${HOST}:${port}`, `http://localhost:${port}`]);
  const index = () =>
    pageHtml({
      scenario: options.scenario.name,
      svgs,
      hello: { type: 'hello', scenario: options.scenario.name, speed, autorun },
    });

  // Only this machine's names for the server: a page on another site cannot rebind a name to it.
  const ownHost = (req: IncomingMessage) => {
    const host = req.headers.host ?? '';
    return host === `${HOST}:${port}` || host === `localhost:${port}`;
  };
  const authorized = options.token ? tokenCheck(options.token) : null;
  const tokenOf = (req: IncomingMessage) =>
    new URL(req.url ?? '/', 'http://inspector').searchParams.get('token') ?? '';
  const allowed = (req: IncomingMessage) => !authorized || authorized(`Bearer ${tokenOf(req)}`);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!ownHost(req)) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end('misdirected request\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const headers = {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ws://${HOST}:${port} ws://localhost:${port}; base-uri 'none'; form-action 'none'`,
    };
    if ((path === '/' || path === '/index.html') && !allowed(req)) {
      res.writeHead(401, { ...headers, 'content-type': 'text/plain' }).end('needs ?token=TOKEN\n');
    } else if (path === '/' || path === '/index.html') {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(index());
    } else if (path in ASSETS) {
      res.writeHead(200, { ...headers, 'content-type': ASSETS[path]?.type ?? JS }).end(assets[path]);
    } else if (path === '/favicon.ico') {
      res.writeHead(204, headers).end();
    } else {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found\n');
    }
  });

  const wss = new WebSocketServer({
    server,
    path: '/ws',
    // Only the inspector's own page may connect, by this machine's names (browsers always send Origin;
    // tools may omit it; a sandboxed or file page sends "null", and is refused), with the token if any.
    verifyClient: ({ origin, req }: { origin?: string; req: IncomingMessage }) =>
      ownHost(req) && (!origin || origins().has(origin)) && allowed(req),
  });
  // ws re-emits the server's errors; listen() below reports them (a port in use) as bad input.
  wss.on('error', () => undefined);
  const sessions = new Set<Session>();

  wss.on('connection', (socket: WebSocket) => {
    const session = new Session(socket, options, speed);
    sessions.add(session);
    session.send({ type: 'hello', scenario: options.scenario.name, speed, autorun });
    if (autorun) void session.run();
    socket.on('message', (data) => {
      let message: ClientMessage | undefined;
      try {
        message = JSON.parse(String(data)) as ClientMessage;
      } catch {
        return;
      }
      if (message?.type === 'run') void session.run();
    });
    socket.on('close', () => {
      session.stop();
      sessions.delete(session);
    });
  });

  port = await listen(server, port);

  let closing: Promise<void> | undefined;
  return {
    url: `http://${HOST}:${port}/`,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const session of sessions) session.stop();
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

interface Observer {
  inspect(event: InspectionEvent): void;
  onTrace(entry: TraceEntry): void;
  flush(): void;
}

/** One page's connection: its runs of the shift and the paced stream of what they produce. */
class Session {
  private runs = 0;
  private running = false;
  private stopped = false;
  private readonly queue: ServerMessage[] = [];
  private pumping = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: InspectorOptions,
    private readonly speed: number,
  ) {}

  send(message: ServerMessage) {
    if (!this.stopped && this.socket.readyState === this.socket.OPEN)
      this.socket.send(JSON.stringify(message));
  }

  stop() {
    this.onStop?.();
    this.stopped = true;
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }

  async run() {
    if (this.running || this.stopped) return;
    this.running = true;
    const run = ++this.runs;
    this.push({ type: 'start', run });
    const observer = this.observer();
    try {
      if (this.options.live) await this.watch(this.options.live, observer);
      else await this.runShift(run, observer);
    } catch (error) {
      this.push({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
    await this.drained();
    this.running = false;
  }

  /**
   * What turns the actors' inspection events and trace entries into messages. A trace entry is
   * recorded from a microstep just before the inspect callback sees the same microstep, whose
   * snapshot has the context after it: the entry waits for it.
   */
  private observer(): Observer {
    const machines = new Map<string, MachineName>();
    let lastSeq = 0;
    let pending: (ServerMessage & { type: 'trace' }) | null = null;
    const flush = () => {
      if (pending) this.push(pending);
      pending = null;
    };
    const inspect = (event: InspectionEvent) => {
      const ref = event.actorRef as AnyActorRef;
      if (pending && (event.type === '@xstate.microstep' || event.type === '@xstate.snapshot')) {
        if (ref.id === pending.entry.actor) {
          pending.context = jsonSafe((event.snapshot as { context?: unknown }).context);
          pending.payload = payloadOf(event.event);
        }
        flush();
      }
      // Top-level actors only (release, INC-n): plays and the postmortem are their children.
      if (event.rootId !== ref.sessionId) return;
      if (event.type === '@xstate.actor') {
        const id = (ref as { logic?: { id?: unknown } }).logic?.id;
        if (isMachineName(id)) machines.set(ref.id, id);
      } else if (event.type === '@xstate.event') {
        this.push({
          type: 'event',
          t: simMinute(ref),
          actor: ref.id,
          event: event.event.type,
          after: lastSeq,
          payload: payloadOf(event.event),
        });
      }
    };
    const onTrace = (entry: TraceEntry) => {
      flush();
      lastSeq = entry.seq;
      const machine = machineOf(entry.actor, machines);
      const edge = transitionFor(chart(machine), entry);
      pending = { type: 'trace', entry, machine, edge, payload: null, context: null };
    };
    return { inspect, onTrace, flush };
  }

  /** Runs the shift (or replays a stored live run), then sends its end: the states and the gate. */
  private async runShift(run: number, { inspect, onTrace, flush }: Observer) {
    const scenario = this.options.scenario as Scenario;
    const { replay } = this.options;
    const result = replay
      ? replay({ inspect, onTrace })
      : await runShift(scenario, {
          plays: this.options.plays,
          file: this.options.file,
          journal: this.options.journal,
          inspect,
          onTrace,
        });
    flush();
    const states: Record<string, string> = {};
    for (const entry of result.trace) states[entry.actor] = entry.to;
    // A live run has no gate: nothing was rehearsed against expectations.
    const report = replay ? null : gate(result, scenario);
    this.push({
      type: 'done',
      run,
      transitions: result.trace.length,
      states,
      gate: report && {
        passed: report.passed,
        total: report.total,
        failed: report.checks.filter((c) => !c.ok).map(({ id, owner, detail }) => ({ id, owner, detail })),
      },
    });
  }

  /** A live engine: its transitions so far, then each as it happens, until the page goes away. */
  private async watch(live: LiveSource, { inspect, onTrace, flush }: Observer) {
    for (const entry of live.trace()) onTrace(entry);
    flush();
    const stop = live.watch({
      inspect,
      onTrace: (entry) => {
        onTrace(entry);
        // Live, nothing else may come for minutes: the context can wait, the transition cannot.
        queueMicrotask(flush);
      },
    });
    await new Promise<void>((resolve) => {
      this.onStop = resolve;
    });
    stop();
  }

  private onStop: (() => void) | undefined;

  private push(message: ServerMessage) {
    if (this.stopped) return;
    if (this.speed <= 0 && !this.pumping) {
      this.send(message);
      return;
    }
    this.queue.push(message);
    if (!this.pumping) void this.pump();
  }

  /** Sends the queue, one transition per 1/speed seconds (events and the rest go with the next one). */
  private async pump() {
    this.pumping = true;
    while (this.queue.length > 0 && !this.stopped) {
      const message = this.queue.shift() as ServerMessage;
      this.send(message);
      if (message.type === 'trace' && this.speed > 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, 1000 / this.speed);
        });
      }
    }
    this.pumping = false;
    this.wake = undefined;
    this.drainedWaiters.splice(0).forEach((resolve) => {
      resolve();
    });
  }

  private readonly drainedWaiters: (() => void)[] = [];

  private drained(): Promise<void> {
    if (!this.pumping || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }
}
