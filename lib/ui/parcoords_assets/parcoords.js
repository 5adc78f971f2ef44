// Sweepscope's parallel coordinates: draws the figure Python sends with the page's plotly.js and
// reports what the user does on it (brushed ranges, dragged axis order) back as component state.
//
// `data` is {figure: {data, layout}, revision, config}. The figure's trace names its columns in
// `meta.columns`, in drawn order. Plotly reorders `gd.data[0].dimensions` in place when an axis is
// dragged and writes `constraintrange` onto those same objects when a range is brushed, so each
// dimension object is mapped to its column once, when the figure is drawn.

const PLOTLY_WAIT_MS = 60000;
const ASK_AFTER_MS = 1000; // no plotly.js and no loader on the page this long after mounting: ask
const LOADER = ".sweepscope-plotly-js"; // the element the plotly.js component draws
const INVISIBLE_TICK = /^[\u200b\u200c\u200d\u2060]+$/;
const MIN_HEIGHT = 360; // below this the axes get too short to brush
const BELOW_CHART = 16; // px left between the chart and the window's bottom edge

// The chart fits the window below its own top (as the page lays out at the top), so at 1280x720
// it is whole on the first screen; it never grows past the height Python asked for.
function fittedHeight(root, wanted) {
  const scroller = root.closest('[data-testid="stMain"]') || document.scrollingElement;
  const top = root.getBoundingClientRect().top + (scroller ? scroller.scrollTop : 0);
  const room = window.innerHeight - top - BELOW_CHART;
  return Math.round(Math.max(MIN_HEIGHT, Math.min(wanted, room)));
}

// Python sends plotly.js once per session. Should this page not have it (it was reloaded into the
// same session, or that run never reached the browser), the chart asks for it again.
function whenPlotly(chart) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      const waited = Date.now() - started;
      if (window.Plotly) return resolve(window.Plotly);
      if (waited > PLOTLY_WAIT_MS) return reject(new Error("plotly.js did not load"));
      if (waited > ASK_AFTER_MS && !chart.askedForPlotly && !document.querySelector(LOADER)) {
        chart.askedForPlotly = true;
        chart.setStateValue("plotly_missing", String(Date.now()));
      }
      setTimeout(poll, 20);
    };
    poll();
  });
}

// Plotly writes one range as [lo, hi] and several as [[lo, hi], ...]; null when there is none.
function asPairs(constraint) {
  if (!Array.isArray(constraint) || constraint.length === 0) return null;
  const list = Array.isArray(constraint[0]) ? constraint : [constraint];
  return list.map((pair) => [Number(pair[0]), Number(pair[1])]);
}

function sameRanges(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// Ticks that only exist so a brush snaps finely (or a filter keeps its exact bounds) have
// zero-width text: hide their tick marks too, so only labelled ticks show.
function hideUnlabelledTicks(div) {
  for (const tick of div.querySelectorAll(".parcoords .axis .tick")) {
    const text = tick.querySelector("text");
    const line = tick.querySelector("line");
    if (text && line && INVISIBLE_TICK.test(text.textContent || "")) line.style.display = "none";
  }
}

function currentState(chart) {
  const dimensions = chart.div.data[0].dimensions;
  const ranges = {};
  for (const dimension of dimensions) {
    const index = chart.drawnDimensions.indexOf(dimension);
    if (index < 0) continue;
    const column = chart.columns[index];
    const now = asPairs(dimension.constraintrange);
    if (!sameRanges(now, chart.drawnRanges[index])) ranges[column] = now;
  }
  const order = dimensions.map((d) => chart.columns[chart.drawnDimensions.indexOf(d)]);
  return { ranges, order };
}

function report(chart) {
  const { ranges, order } = currentState(chart);
  chart.sequence += 1;
  chart.setStateValue("brush", {
    id: `${chart.revision}:${chart.sequence}:${Date.now()}`,
    revision: chart.revision,
    ranges,
    order,
  });
}

async function draw(chart, data) {
  const Plotly = await whenPlotly(chart);
  const figure = data.figure;
  chart.wantedHeight = figure.layout.height;
  const layout = { ...figure.layout, height: fittedHeight(chart.root, chart.wantedHeight) };
  await Plotly.react(chart.div, figure.data, layout, data.config);
  const trace = chart.div.data[0];
  chart.revision = data.revision;
  chart.columns = (trace.meta && trace.meta.columns) || [];
  chart.drawnDimensions = trace.dimensions.slice();
  chart.drawnRanges = trace.dimensions.map((d) => asPairs(d.constraintrange));
  hideUnlabelledTicks(chart.div);
  if (!chart.listening) {
    chart.div.on("plotly_restyle", () => report(chart));
    chart.div.on("plotly_afterplot", () => hideUnlabelledTicks(chart.div));
    chart.listening = true;
  }
  chart.draws += 1;
  chart.div.dataset.revision = data.revision;
  chart.div.dataset.draws = String(chart.draws); // read by the browser tests and the benchmark
}

// Draws run one at a time, and only the newest figure asked for is drawn.
function requestDraw(root, chart, data) {
  chart.wanted = data;
  chart.drawing = chart.drawing.then(async () => {
    const wanted = chart.wanted;
    if (wanted.revision === chart.revision) return;
    try {
      await draw(chart, wanted);
    } catch (error) {
      root.dataset.error = String(error && error.message);
      chart.div.textContent = "The chart could not be drawn. Reload the page to try again.";
    }
  });
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let root = parentElement.querySelector(".sweepscope-parcoords");
  if (!root) {
    root = document.createElement("div");
    root.className = "sweepscope-parcoords";
    root.dataset.testid = "sweepscopeParcoords";
    const div = document.createElement("div");
    div.className = "sweepscope-parcoords-graph";
    root.appendChild(div);
    parentElement.appendChild(root);
    // The page's width changes without a window resize when the sidebar opens or closes.
    let width = 0;
    const resized = new ResizeObserver((entries) => {
      const now = Math.round(entries[entries.length - 1].contentRect.width);
      if (now === width) return; // its height follows the chart: only a new width needs a relayout
      width = now;
      if (window.Plotly && root.sweepscopeChart.revision) window.Plotly.Plots.resize(div);
    });
    resized.observe(root);
    const refit = () => {
      const chart = root.sweepscopeChart;
      if (!window.Plotly || !chart.revision) return;
      const height = fittedHeight(root, chart.wantedHeight);
      if (height !== div.layout.height) window.Plotly.relayout(div, { height });
    };
    window.addEventListener("resize", refit);
    root.sweepscopeChart = {
      resized,
      refit,
      root,
      div,
      sequence: 0,
      draws: 0,
      listening: false,
      revision: null,
      drawing: Promise.resolve(),
    };
  }
  const chart = root.sweepscopeChart;
  chart.setStateValue = setStateValue; // the newest mount's callback reports
  requestDraw(root, chart, data);
  return () => {
    chart.resized.disconnect();
    window.removeEventListener("resize", chart.refit);
    if (window.Plotly) window.Plotly.purge(chart.div);
  };
}
