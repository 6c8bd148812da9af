// Zoom and pan for the statecharts, shared by the inspector and the shift report, with Panzoom
// (loaded before this script as the global `Panzoom`). A diagram opens at a scale that fits its
// viewport's width but never below LEGIBLE, where Graphviz's 11 pt edge labels are about 11 px;
// a narrower viewport shows part of it and pans. Drag pans; Ctrl+wheel, pinch, the +/− buttons and
// the + − 0 keys zoom; the arrow keys pan while the diagram has focus.

(() => {
  const LEGIBLE = 0.75;
  const PX_PER_PT = 4 / 3;

  /** The SVG's own size in CSS px (Graphviz writes it in pt). */
  function naturalSize(svg) {
    const size = (name) => {
      const value = svg.getAttribute(name) ?? '0';
      return Number.parseFloat(value) * (value.endsWith('pt') ? PX_PER_PT : 1);
    };
    return { width: size('width'), height: size('height') };
  }

  function button(label, title, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.title = title;
    b.setAttribute('aria-label', title);
    b.addEventListener('click', onClick);
    return b;
  }

  /**
   * Wraps the SVG inside `host` in a focusable viewport with zoom controls. Returns `{ reset, show }`:
   * `show(element)` pans (without zooming) so that an element of the diagram is in view.
   */
  function attachZoom(host, name) {
    const svg = host.querySelector('svg');
    if (!svg || host.querySelector('.zoom')) return null;
    const { width, height } = naturalSize(svg);
    const viewport = document.createElement('div');
    viewport.className = 'zoom';
    viewport.tabIndex = 0;
    viewport.setAttribute('role', 'group');
    viewport.setAttribute(
      'aria-label',
      `${name} diagram: arrow keys pan, + and − zoom, 0 fits it again; drag to pan, Ctrl+wheel to zoom`,
    );
    const content = document.createElement('div');
    content.className = 'zoom-content';
    content.style.width = `${width}px`;
    content.style.height = `${height}px`;
    svg.style.width = `${width}px`;
    svg.style.height = `${height}px`;
    svg.style.maxWidth = 'none';
    svg.replaceWith(viewport);
    content.append(svg);
    viewport.append(content);

    const available = Math.max(1, viewport.clientWidth);
    const scale = Math.max(LEGIBLE, Math.min(1, available / width));
    viewport.style.height = `${Math.ceil(height * scale)}px`;
    // Panzoom scales about the centre and pans in unscaled px: start with the drawing's top left
    // in view, centred when it is narrower than the viewport.
    const left = Math.max(0, (available - width * scale) / 2);
    const panzoom = Panzoom(content, {
      canvas: true,
      minScale: 0.2,
      maxScale: 4,
      step: 0.2,
      startScale: scale,
      startX: (left - (width / 2) * (1 - scale)) / scale,
      startY: (-(height / 2) * (1 - scale)) / scale,
      touchAction: 'pan-y',
      cursor: 'grab',
    });
    viewport.addEventListener('wheel', (event) => {
      if (event.ctrlKey || event.metaKey) panzoom.zoomWithWheel(event);
    });
    const pan = (dx, dy) => panzoom.pan(dx / panzoom.getScale(), dy / panzoom.getScale(), { relative: true });
    viewport.addEventListener('keydown', (event) => {
      const moves = { ArrowLeft: [60, 0], ArrowRight: [-60, 0], ArrowUp: [0, 60], ArrowDown: [0, -60] };
      if (event.key in moves) pan(...moves[event.key]);
      else if (event.key === '+' || event.key === '=') panzoom.zoomIn();
      else if (event.key === '-' || event.key === '_') panzoom.zoomOut();
      else if (event.key === '0') panzoom.reset();
      else return;
      event.preventDefault();
      event.stopPropagation();
    });
    const tools = document.createElement('div');
    tools.className = 'zoom-tools';
    tools.append(
      button('+', `zoom in on the ${name} diagram`, () => panzoom.zoomIn()),
      button('−', `zoom out of the ${name} diagram`, () => panzoom.zoomOut()),
      button('fit', `fit the ${name} diagram again`, () => panzoom.reset()),
    );
    viewport.before(tools);

    /**
     * Pans so that `element` (inside the diagram) is in view, if it is not. Worked out from the
     * drawing's own coordinates and Panzoom's state, not from on-screen boxes, which lag a frame
     * behind a pan (Panzoom applies it on the next animation frame).
     */
    const show = (element) => {
      if (!ready) {
        waiting = element;
        return;
      }
      const box = element.getBBox();
      const m = element.getCTM();
      if (!m) return;
      const cx = m.a * (box.x + box.width / 2) + m.c * (box.y + box.height / 2) + m.e;
      const cy = m.b * (box.x + box.width / 2) + m.d * (box.y + box.height / 2) + m.f;
      const s = panzoom.getScale();
      const { x, y } = panzoom.getPan();
      // Panzoom scales about the centre of the drawing: where the point is within the viewport.
      const vx = width / 2 + s * (cx + x - width / 2);
      const vy = height / 2 + s * (cy + y - height / 2);
      const [vw, vh] = [viewport.clientWidth, viewport.clientHeight];
      const margin = 24;
      if (vx >= margin && vx <= vw - margin && vy >= margin && vy <= vh - margin) return;
      panzoom.pan((vw / 2 - width / 2) / s + width / 2 - cx, (vh / 2 - height / 2) / s + height / 2 - cy);
    };
    // Panzoom sets its start pan on a timer of its own: a pan asked for before then waits for it.
    let ready = false;
    let waiting = null;
    setTimeout(() => {
      ready = true;
      if (waiting) show(waiting);
    });
    return { reset: () => panzoom.reset(), show, panzoom };
  }

  window.attachZoom = attachZoom;
})();
