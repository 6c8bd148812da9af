import { createServer } from 'node:http';
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import { type WebSocket, WebSocketServer } from 'ws';
import type { PlayLogic } from '../../../machines/incident.js';
import { runShift, type ShiftResult } from '../../world/drill.js';
import type { Scenario } from '../../world/scenario.js';
import { escapeHtml } from '../report.js';
import { HOST, listen, STATELY_URL } from './listen.js';

/**
 * The shift in Stately's inspector (stately.ai/inspect), through @statelyai/inspect: its
 * `createInspector` turns the actors' inspection events into the inspector protocol
 * (`@xstate.actor`, `@xstate.event`, `@xstate.snapshot`); our sink keeps every one of them and a
 * bridge page on 127.0.0.1 hands them to the inspector's iframe. Only that page goes online.
 */

export { STATELY_URL };

export interface StatelyRunOptions {
  plays?: Record<string, PlayLogic>;
  file?: string;
}

/**
 * Runs the shift with @statelyai/inspect attached; `sink` receives each protocol event. The
 * inspector converts events on a later tick, so this resolves once the last of them has arrived.
 */
export async function runWithStately(
  scenario: Scenario,
  sink: (event: StatelyInspectionEvent) => void,
  options: StatelyRunOptions = {},
): Promise<ShiftResult> {
  let received = 0;
  // Loaded here, not at the top: every other command of the CLI would pay ~50 ms to import it.
  const { createInspector } = await import('@statelyai/inspect');
  const inspector = createInspector({
    send: (event) => {
      received++;
      sink(event);
    },
  });
  const result = await runShift(scenario, {
    ...options,
    inspect: (event) => inspector.inspect.next?.(event),
  });
  for (let before = -1; before !== received; ) {
    before = received;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return result;
}

export interface StatelyBridgeOptions extends StatelyRunOptions {
  scenario: Scenario;
  port?: number;
  /** The inspector UI the bridge page embeds. */
  inspectorUrl?: string;
}

export interface StatelyBridge {
  url: string;
  port: number;
  /** Every protocol event of the shift, in order (the bridge replays them to each page that connects). */
  events: StatelyInspectionEvent[];
  result: ShiftResult;
  close(): Promise<void>;
}

function bridgeHtml(inspectorUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>runbook shift in the Stately inspector</title>
<style>html, body { margin: 0; height: 100%; } body { display: flex; flex-direction: column; font: 14px system-ui, sans-serif; } p { margin: 0; padding: 6px 12px; background: #f1f5f9; color: #334155; } iframe { border: 0; width: 100%; flex: 1; }</style>
</head>
<body>
<p>Stately's inspector is a website: without internet access this frame stays empty or shows an error. <code>runbook inspect</code> (without <code>--stately</code>) is the offline inspector.</p>
<iframe id="inspector" src="${escapeHtml(inspectorUrl)}" title="Stately inspector"></iframe>
<script>
  // As @statelyai/inspect's own bridge does: the iframe says @statelyai.connected when it listens,
  // until then events wait here; they are posted to whatever origin the inspector UI landed on.
  const frame = document.getElementById('inspector');
  const waiting = [];
  let ready = false;
  window.addEventListener('message', (e) => {
    if (e.data && e.data.type === '@statelyai.connected') {
      ready = true;
      for (const event of waiting.splice(0)) frame.contentWindow.postMessage(event, '*');
    }
  });
  const socket = new WebSocket('ws://' + location.host + '/ws');
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (ready) frame.contentWindow.postMessage(event, '*');
    else waiting.push(event);
  };
</script>
</body>
</html>
`;
}

/**
 * Runs the shift with the Stately sink and serves the bridge page on 127.0.0.1: open it in a
 * browser that can reach stately.ai and the actors (release, INC-n) appear in the inspector.
 */
export async function startStatelyBridge(options: StatelyBridgeOptions): Promise<StatelyBridge> {
  const inspectorUrl = options.inspectorUrl ?? STATELY_URL;
  const events: StatelyInspectionEvent[] = [];
  const frames: string[] = [];
  const clients = new Set<WebSocket>();
  const result = await runWithStately(
    options.scenario,
    (event) => {
      events.push(event);
      const frame = JSON.stringify(event);
      frames.push(frame);
      for (const client of clients) client.send(frame);
    },
    options,
  );
  let port = options.port ?? 0;
  const server = createServer((req, res) => {
    // As the offline inspector: only this machine's names for the server (no DNS rebinding).
    const host = req.headers.host ?? '';
    if (host !== `${HOST}:${port}` && host !== `localhost:${port}`) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end('misdirected request\n');
      return;
    }
    if ((req.url ?? '/').split('?')[0] !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(bridgeHtml(inspectorUrl));
  });
  const wss = new WebSocketServer({
    server,
    path: '/ws',
    verifyClient: ({ origin }: { origin?: string }) =>
      !origin || origin === `http://${HOST}:${port}` || origin === `http://localhost:${port}`,
  });
  // ws re-emits the server's errors; listen() below reports them (a port in use) as bad input.
  wss.on('error', () => undefined);
  wss.on('connection', (socket: WebSocket) => {
    clients.add(socket);
    for (const frame of frames) socket.send(frame);
    socket.on('close', () => clients.delete(socket));
  });
  port = await listen(server, port);
  return {
    url: `http://${HOST}:${port}/`,
    port,
    events,
    result,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
