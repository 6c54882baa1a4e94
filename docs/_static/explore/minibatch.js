// The variance page's minibatch figure: the reader picks B and the sampling, draws batches, and watches their
// means scatter around the full gradient G inside the predicted root-mean-square circle. Every number it draws
// comes from the build (gradavg.topics.variance.explorer_data); the script only samples and averages.
import { drawing, el, linear, shown, throttled } from "./svg.js";

// the batches are drawn from a seeded generator, so a test (or a reader) gets the same batches every time
const SEED = 26;
// the text alternative is rewritten at most this often, so that a screen reader is not flooded by "Draw 100"
const TEXT_EVERY_MS = 500;
const MARGIN = { left: 46, right: 10, top: 10, bottom: 38 };

/** A uniform generator on [0, 1) from a 32-bit seed (mulberry32): small, fast, and the same in every browser. */
export function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** B indices out of 0..n-1, uniformly: independent draws, or a uniform subset (in random order) without. */
export function sampleBatch(random, n, size, replace) {
  if (replace) return Array.from({ length: size }, () => Math.floor(random() * n));
  const order = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < size; k++) {  // the first `size` steps of a Fisher-Yates shuffle
    const j = k + Math.floor(random() * (n - k));
    [order[k], order[j]] = [order[j], order[k]];
  }
  return order.slice(0, size);
}

/** The mean of the gradients at these indices, component by component. */
export function batchMean(gradients, indices) {
  const total = gradients[0].map(() => 0);
  for (const i of indices) gradients[i].forEach((v, c) => { total[c] += v; });
  return total.map((v) => v / indices.length);
}

/** A tick step of 1, 2 or 5 times a power of ten that cuts `span` into about `count` parts. */
function tickStep(span, count) {
  const raw = span / count, power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw);
}

/** The smallest square window, with a margin, that holds every example's gradient: one unit is as long on both axes. */
function squareWindow(gradients) {
  const [xs, ys] = [0, 1].map((c) => gradients.map((g) => g[c]));
  const centre = [xs, ys].map((v) => (Math.min(...v) + Math.max(...v)) / 2);
  const half = 0.55 * Math.max(...[xs, ys].map((v) => Math.max(...v) - Math.min(...v)));
  return centre.map((c) => [c - half, c + half]);
}

function control(tag, attributes, parent) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  parent.append(node);
  return node;
}

/** Draws the figure in `root` (a figure from gradavg.site.explorables) from the build's `data`. */
export function mount(root, data) {
  const { n, gradients } = data;
  const full = data.full_gradient;
  const { svg, width, height } = drawing(root, "Means of sampled minibatches around the full gradient");
  const side = Math.min(width - MARGIN.left - MARGIN.right, height - MARGIN.top - MARGIN.bottom);
  const [xDomain, yDomain] = squareWindow(gradients);
  const x = linear(xDomain, [MARGIN.left, MARGIN.left + side]);
  const y = linear(yDomain, [MARGIN.top + side, MARGIN.top]);

  const axes = el("g", { class: "gradavg-mb-axes" }, svg);
  const step = tickStep(xDomain[1] - xDomain[0], 6);
  for (const [domain, vertical] of [[xDomain, true], [yDomain, false]]) {
    for (let t = Math.ceil(domain[0] / step) * step; t <= domain[1]; t += step) {
      const at = vertical ? x(t) : y(t);
      const line = vertical ? { x1: at, x2: at, y1: y(yDomain[0]), y2: y(yDomain[1]) }
        : { x1: x(xDomain[0]), x2: x(xDomain[1]), y1: at, y2: at };
      el("line", { ...line, class: Math.abs(t) < step / 2 ? "gradavg-mb-zero" : "gradavg-mb-grid" }, axes);
      const label = vertical ? { x: at, y: MARGIN.top + side + 14, "text-anchor": "middle" }
        : { x: MARGIN.left - 5, y: at + 4, "text-anchor": "end" };
      el("text", label, axes).textContent = shown(Math.round(t / step) * step, 0);
    }
  }
  el("text", { x: MARGIN.left + side / 2, y: height - 4, "text-anchor": "middle" }, axes).textContent = "\u2202C/\u2202w";
  el("text", { x: 12, y: MARGIN.top + side / 2, "text-anchor": "middle",
    transform: `rotate(-90 12 ${MARGIN.top + side / 2})` }, axes).textContent = "\u2202C/\u2202b";

  for (const g of gradients) el("circle", { class: "gradavg-mb-example", cx: x(g[0]), cy: y(g[1]), r: 4 }, svg);
  const spread = el("circle", { class: "gradavg-mb-spread", cx: x(full[0]), cy: y(full[1]) }, svg);
  const dots = el("g", { class: "gradavg-mb-draws" }, svg);
  const last = el("circle", { class: "gradavg-mb-last", r: 6, visibility: "hidden" }, svg);
  const [gx, gy] = [x(full[0]), y(full[1])];
  el("path", { class: "gradavg-mb-full", d: `M${gx - 7} ${gy}h14M${gx} ${gy - 7}v14` }, svg);
  el("text", { class: "gradavg-mb-label", x: gx + 8, y: gy - 8 }, svg).textContent = "G";

  const controls = root.querySelector(".gradavg-explore-controls");
  const sizeLabel = control("label", {}, controls);
  sizeLabel.append("Batch size B ");
  const size = control("input", { type: "range", min: 1, max: n, step: 1, value: 1 }, sizeLabel);
  const sizeShown = control("output", { "aria-hidden": "true" }, sizeLabel);
  const sampling = control("fieldset", { class: "gradavg-mb-sampling" }, controls);
  control("legend", {}, sampling).textContent = "Sampling";
  const replaceInputs = [["with replacement", true], ["without", false]].map(([text, replace]) => {
    const label = control("label", {}, sampling);
    const input = control("input", { type: "radio", name: "gradavg-mb-sampling", value: replace }, label);
    input.checked = replace;
    label.append(` ${text}`);
    return input;
  });
  const buttonRow = control("div", { class: "gradavg-mb-buttons" }, controls);
  const buttons = ["Draw 1", "Draw 100", "Clear"].map((text) => {
    const button = control("button", { type: "button" }, buttonRow);
    button.textContent = text;
    return button;
  });

  const random = seeded(SEED);
  const textAlternative = root.querySelector(".gradavg-explore-text");
  const state = { draws: 0, squaredDistances: 0 };
  const settings = () => ({ batch: Number(size.value), replace: replaceInputs[0].checked });
  const predicted = ({ batch, replace }) =>
    (replace ? data.spread_with_replacement : data.spread_without_replacement)[batch - 1];

  const describe = throttled(() => {
    const now = settings(), expected = predicted(now);
    const formula = now.replace ? "\u03c3\u00b2/B" : "\u03c3\u00b2/B \u00b7 (N\u2212B)/(N\u22121)";
    const point = (v) => `(${v.map((c) => shown(Number(c), 2)).join(", ")})`;
    const drawn = state.draws === 0 ? "No batches drawn yet."
      : `${state.draws} batch${state.draws === 1 ? "" : "es"} drawn: mean squared distance ` +
        `${shown(state.squaredDistances / state.draws, 3)}; last mean ${point(root.dataset.lastMean.split(","))}.`;
    textAlternative.textContent = `B = ${now.batch} of N = ${n}, ${now.replace ? "with" : "without"} replacement. ` +
      `Predicted mean squared distance of a batch mean from G = ${point(full)}: ${formula} = ${shown(expected, 3)} ` +
      `(the dashed circle's radius is its square root, ${shown(Math.sqrt(expected), 3)}). ${drawn}`;
  }, TEXT_EVERY_MS);

  function reset() {
    const now = settings(), expected = predicted(now);
    dots.replaceChildren();
    last.setAttribute("visibility", "hidden");
    Object.assign(state, { draws: 0, squaredDistances: 0 });
    sizeShown.textContent = String(now.batch);
    spread.setAttribute("r", Math.sqrt(expected) * (x(1) - x(0)));
    Object.assign(root.dataset, { batchSize: now.batch, replace: now.replace, predicted: expected, draws: 0,
      meanSquaredDistance: "" });
    delete root.dataset.lastIndices;
    delete root.dataset.lastMean;
    describe();
  }

  function draw(count) {
    const { batch, replace } = settings();
    let indices, mean;
    for (let k = 0; k < count; k++) {
      indices = sampleBatch(random, n, batch, replace);
      mean = batchMean(gradients, indices);
      state.squaredDistances += (mean[0] - full[0]) ** 2 + (mean[1] - full[1]) ** 2;
      el("circle", { cx: x(mean[0]), cy: y(mean[1]), r: 2.5 }, dots);
    }
    state.draws += count;
    last.setAttribute("cx", x(mean[0]));
    last.setAttribute("cy", y(mean[1]));
    last.setAttribute("visibility", "visible");
    Object.assign(root.dataset, { draws: state.draws, meanSquaredDistance: state.squaredDistances / state.draws,
      lastIndices: indices.join(","), lastMean: mean.join(",") });
    describe();
  }

  size.addEventListener("input", reset);
  for (const input of replaceInputs) input.addEventListener("change", reset);
  buttons[0].addEventListener("click", () => draw(1));
  buttons[1].addEventListener("click", () => draw(100));
  buttons[2].addEventListener("click", reset);
  reset();
}
