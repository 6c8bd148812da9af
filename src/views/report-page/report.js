// The shift report's page script. Its plots are drawn with uPlot (inlined before this script as the global `uPlot`)
// from the specs in <script id="plot-data"> (src/views/plots.ts). Each plot is a stack of panels on
// one minute axis: hovering shows every line's value in the legends, dragging across a panel
// zooms all of them, double-click (or the "whole range" button, or 0) zooms out. Moments are
// vertical lines on the panels; their labels sit in a strip above the panels, in rows that never
// overlap, so no label ever crosses a line. With focus on a plot, ← → move the cursor a minute.
// The statecharts get zoom and pan (zoom.js); those in a closed <details> once it is opened.

(() => {
  const FONT = '12px system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif';
  const INK = '#334155';
  const GRID = '#e2e8f0';
  const HEIGHTS = { first: 190, other: 150, axisLabel: 20 };
  const MERGE_PX = 8;

  const percent = (v, digits = 1) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(digits)}%`);
  const burn = (v) => (v === null || v === undefined ? '–' : `${Number(v.toFixed(2))}x`);
  const format = (unit) => (unit === 'percent' ? percent : burn);
  const tick = (unit) => (v) =>
    unit === 'percent' ? `${Number((v * 100).toFixed(1))}%` : `${Number(v.toFixed(1))}x`;

  function range(unit, lines) {
    return (_u, min, max) => {
      if (unit === 'burn') return [0, Math.max(1, max) * 1.1];
      // A replay's report has gaps (null) where the recorded run has no point: they set no bound.
      const lo = Math.min(min, ...lines.map((l) => Math.min(...l.values.filter((v) => v !== null))));
      const padded = Math.min(0.98, Math.floor((lo - 0.005) * 50) / 50);
      return [lo >= 0 ? Math.max(0, padded) : padded, 1.005];
    };
  }

  /** Markers closer than MERGE_PX on screen share one label. */
  function groupMarkers(u, markers) {
    const groups = [];
    for (const marker of markers) {
      if (marker.t < u.scales.x.min || marker.t > u.scales.x.max) continue;
      const px = u.valToPos(marker.t, 'x');
      const last = groups[groups.length - 1];
      if (last && px - last.px < MERGE_PX) last.markers.push(marker);
      else groups.push({ px, markers: [marker] });
    }
    return groups;
  }

  const ROW = 20;

  /**
   * Labels in rows above the panels: each on the first row where it overlaps no other label. A label
   * wider than the strip wraps onto rows of its own. A tick under each label points at its line.
   */
  function placeLabels(strip, u, markers) {
    strip.replaceChildren();
    const left = u.over.getBoundingClientRect().left - strip.getBoundingClientRect().left;
    const width = strip.clientWidth;
    const rows = [];
    for (const group of groupMarkers(u, markers)) {
      const label = document.createElement('span');
      label.className = 'marker-label';
      label.dataset.t = String(group.markers[0].t);
      label.dataset.kinds = group.markers.map((m) => m.kind).join(' ');
      label.style.color = group.markers[0].colour;
      const ts = [...new Set(group.markers.map((m) => m.t))];
      label.textContent = `${group.markers.map((m) => m.label).join(' · ')} (${ts.join('–')})`;
      strip.append(label);
      const x = left + group.px;
      let w = label.offsetWidth;
      let row;
      let from;
      if (w > width) {
        label.classList.add('wrapped');
        label.style.width = `${width}px`;
        w = width;
        from = 0;
        row = rows.length;
        const lines = Math.ceil(label.offsetHeight / ROW);
        for (let i = 0; i < lines; i++) rows.push([[0, width]]);
      } else {
        from = Math.max(0, Math.min(x - 1, width - w));
        row = rows.findIndex((taken) => taken.every(([a, b]) => from + w + 6 <= a || from >= b + 6));
        if (row < 0) row = rows.push([]) - 1;
        rows[row].push([from, from + w]);
      }
      label.style.left = `${from}px`;
      label.style.top = `${row * ROW}px`;
      const tick = document.createElement('span');
      tick.className = 'marker-tick';
      tick.style.left = `${Math.max(0, Math.min(w - 2, x - from - 1))}px`;
      tick.style.background = group.markers[0].colour;
      label.append(tick);
    }
    strip.style.height = `${Math.max(1, rows.length) * ROW + 2}px`;
  }

  function drawMarkers(markers) {
    return (u) => {
      const { ctx, bbox } = u;
      ctx.save();
      for (const marker of markers) {
        if (marker.t < u.scales.x.min || marker.t > u.scales.x.max) continue;
        const x = Math.round(u.valToPos(marker.t, 'x', true)) + 0.5;
        ctx.strokeStyle = marker.colour;
        ctx.lineWidth = 1.5 * devicePixelRatio;
        ctx.setLineDash(marker.kind === 'onset' ? [3 * devicePixelRatio, 3 * devicePixelRatio] : []);
        ctx.beginPath();
        ctx.moveTo(x, bbox.top);
        ctx.lineTo(x, bbox.top + bbox.height);
        ctx.stroke();
      }
      ctx.restore();
    };
  }

  function panelOptions(spec, panel, index, width, hooks) {
    const fmt = format(panel.unit);
    const axis = {
      stroke: INK,
      font: FONT,
      labelFont: FONT,
      grid: { stroke: GRID, width: 1 },
      ticks: { stroke: GRID, width: 1 },
    };
    return {
      width,
      height:
        (index === 0 ? HEIGHTS.first : HEIGHTS.other) +
        (index === spec.panels.length - 1 ? HEIGHTS.axisLabel : 0),
      cursor: { sync: { key: spec.id }, drag: { x: true, y: false } },
      legend: { live: true },
      scales: { x: { time: false }, y: { range: range(panel.unit, panel.lines) } },
      series: [
        { label: 'sim minute', value: (_u, v) => (v === null || v === undefined ? '–' : String(v)) },
        ...panel.lines.map((line) => ({
          label: line.label,
          stroke: line.colour,
          width: line.dash ? 1.5 : 2,
          dash: line.dash,
          points: { show: false },
          value: (_u, v) => fmt(v),
        })),
      ],
      axes: [
        { ...axis, label: index === spec.panels.length - 1 ? 'sim minute' : undefined, size: 36 },
        { ...axis, size: 56, values: (_u, splits) => splits.map(tick(panel.unit)) },
      ],
      hooks,
    };
  }

  function buildPlot(spec) {
    const host = document.querySelector(`[data-plot="${spec.id}"]`);
    if (!host) return;
    const strip = document.createElement('div');
    strip.className = 'marker-strip';
    strip.setAttribute('aria-hidden', 'true');
    host.append(strip);
    const charts = [];
    let syncing = false;
    const relabel = () => {
      if (charts[0]) placeLabels(strip, charts[0], spec.markers);
    };
    const zoomAll = (u) => {
      if (syncing) return;
      syncing = true;
      for (const other of charts)
        if (other !== u) other.setScale('x', { min: u.scales.x.min, max: u.scales.x.max });
      syncing = false;
      relabel();
    };
    const width = () => Math.max(200, host.clientWidth);
    spec.panels.forEach((panel, index) => {
      const figure = document.createElement('div');
      figure.className = 'panel';
      const title = document.createElement('p');
      title.className = 'panel-title';
      title.textContent = panel.title;
      figure.append(title);
      host.append(figure);
      const hooks = { draw: [drawMarkers(spec.markers)], setScale: [(u, key) => key === 'x' && zoomAll(u)] };
      const data = [spec.x, ...panel.lines.map((l) => l.values)];
      charts.push(new uPlot(panelOptions(spec, panel, index, width(), hooks), data, figure));
    });
    relabel();
    new ResizeObserver(() => {
      for (const u of charts) u.setSize({ width: width(), height: u.height });
      relabel();
    }).observe(host);
    keyboard(host, spec, charts);
    host.charts = charts;
  }

  /** Buttons and keys: zoom in and out about the middle, the whole range, the cursor by a minute. */
  function keyboard(host, spec, charts) {
    const first = charts[0];
    const full = { min: spec.x[0], max: spec.x[spec.x.length - 1] };
    const zoom = (factor) => {
      const { min, max } = first.scales.x;
      const mid = (min + max) / 2;
      const half = Math.max(2, ((max - min) / 2) * factor);
      first.setScale('x', { min: Math.max(full.min, mid - half), max: Math.min(full.max, mid + half) });
    };
    let cursor = null;
    const moveCursor = (step) => {
      const { min, max } = first.scales.x;
      cursor = Math.max(min, Math.min(max, (cursor ?? Math.round((min + max) / 2)) + step));
      for (const u of charts) u.setCursor({ left: u.valToPos(cursor, 'x'), top: 10 });
    };
    const tools = document.createElement('div');
    tools.className = 'plot-tools';
    for (const [text, act] of [
      ['zoom in', () => zoom(0.5)],
      ['zoom out', () => zoom(2)],
      ['whole range', () => first.setScale('x', full)],
    ]) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = text;
      b.addEventListener('click', act);
      tools.append(b);
    }
    host.before(tools);
    host.addEventListener('keydown', (event) => {
      const keys = {
        ArrowLeft: () => moveCursor(-1),
        ArrowRight: () => moveCursor(1),
        '+': () => zoom(0.5),
        '=': () => zoom(0.5),
        '-': () => zoom(2),
        0: () => first.setScale('x', full),
      };
      if (!(event.key in keys)) return;
      event.preventDefault();
      keys[event.key]();
    });
  }

  const specs = JSON.parse(document.getElementById('plot-data').textContent);
  for (const spec of specs) buildPlot(spec);
  for (const body of document.querySelectorAll('.diagram-body')) {
    const name = body.closest('[data-actor]')?.dataset.actor ?? 'statechart';
    const closed = body.closest('details:not([open])');
    if (closed) closed.addEventListener('toggle', () => window.attachZoom(body, name), { once: true });
    else window.attachZoom(body, name);
  }
  document.body.dataset.plots = 'ready';
})();
