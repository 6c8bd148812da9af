import type { MachineName } from '../export.js';
import { escapeHtml } from '../report.js';
import type { ServerMessage } from './protocol.js';

/**
 * The inspector's one page. The statecharts are inline templates (each actor's panel clones its
 * machine's), the script and styles come from the same server: nothing is loaded from elsewhere.
 */
export function pageHtml(input: {
  scenario: string;
  svgs: Record<MachineName, string>;
  hello: ServerMessage & { type: 'hello' };
}): string {
  // JSON inside <script> must not be able to close the element.
  const config = JSON.stringify(input.hello).replace(/</g, '\\u003c');
  const templates = (Object.entries(input.svgs) as [MachineName, string][])
    .map(([machine, svg]) => `<template data-machine="${machine}">${svg}</template>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>runbook inspector · ${escapeHtml(input.scenario)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<link rel="stylesheet" href="/diagram.css">
<script type="application/json" id="config">${config}</script>
<script src="/panzoom.js"></script>
<script src="/zoom.js"></script>
<script type="module" src="/app.js"></script>
</head>
<body data-status="connecting" data-position="0" data-steps="0">
<header>
  <h1>runbook inspector</h1>
  <span class="scenario">${escapeHtml(input.scenario)}</span>
  <span id="status" class="status" role="status">connecting…</span>
  <span id="gate" class="gate"></span>
  <button id="run" type="button" disabled>Run the shift</button>
</header>
<nav id="controls" aria-label="replay">
  <div class="buttons">
    <button id="first" type="button" title="first step (Home)" aria-label="first step" disabled>|◀</button>
    <button id="back" type="button" title="step back (←)" aria-label="step back" disabled>◀</button>
    <button id="play" type="button" title="play the replay (space)" disabled>▶ replay</button>
    <button id="forward" type="button" title="step forward (→)" aria-label="step forward" disabled>▶</button>
    <button id="last" type="button" title="last step (End)" aria-label="last step" disabled>▶|</button>
  </div>
  <input id="slider" type="range" min="0" max="0" value="0" step="1" disabled aria-label="position in the trace">
  <span id="where" class="where">waiting for the shift</span>
  <span class="legend" aria-label="legend"><i class="current"></i>current <i class="visited"></i>visited <i class="taken"></i>taken <i class="last"></i>last transition</span>
</nav>
<div id="failures" class="failures" role="alert" hidden></div>
<main>
  <section id="actors" aria-label="actors"></section>
  <aside id="log" aria-label="the selected step and the events">
    <section id="step" aria-labelledby="step-title">
      <h2 id="step-title">Selected step</h2>
      <p id="step-summary">No step yet.</p>
      <details id="step-payload-box" open><summary>What the event carried</summary><pre id="step-payload">–</pre></details>
      <details id="step-context-box"><summary>The actor’s context after the step</summary><pre id="step-context">–</pre></details>
    </section>
    <h2>Events <small id="count"></small></h2>
    <label class="filter"><input id="show-events" type="checkbox" checked> every event (off: transitions only)</label>
    <ol id="events" aria-label="events and transitions; Enter on a transition selects it"></ol>
  </aside>
</main>
${templates}
</body>
</html>
`;
}
