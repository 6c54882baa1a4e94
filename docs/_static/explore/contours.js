// The cost's contours over (w, b) and every example's gradient at the reader's point (gradavg.topics.parameter_space
// .explorer_data): the right picture, all at one point, or the mistaken one, each example at its own place.
import { drawing, el, linear, shown, throttled } from "./svg.js";

const MARGIN = { left: 56, right: 12, top: 10, bottom: 50 };
const STEP = 0.05, BIG_STEP = 0.5;  // arrow keys move the point by these, in parameter units
const LONGEST = 2.6;                // the longest example arrow, in parameter units, as in the static figure
const SPOKEN_EVERY_MS = 1500;       // the text alternative speaks at most this often while the point moves
const KEYS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };

/** Example i's gradient of (w z_i + b - y_i)^2 at theta: 2 r_i (z_i, 1). */
function exampleGradient([w, b], z, y) {
  const r = w * z + b - y;
  return [2 * r * z, 2 * r];
}

/** The cost's gradient from its sufficient statistics, 2 (G theta - m): a route that forms no example's gradient. */
function costGradient([w, b], { gram, moment }) {
  return [2 * (gram[0][0] * w + gram[0][1] * b - moment[0]), 2 * (gram[1][0] * w + gram[1][1] * b - moment[1])];
}

function cost([w, b], { gram, moment, energy }) {
  return gram[0][0] * w * w + 2 * gram[0][1] * w * b + gram[1][1] * b * b - 2 * (moment[0] * w + moment[1] * b) + energy;
}

function minimum({ gram, moment }) {
  const det = gram[0][0] * gram[1][1] - gram[0][1] * gram[1][0];
  return [(gram[1][1] * moment[0] - gram[0][1] * moment[1]) / det, (gram[0][0] * moment[1] - gram[1][0] * moment[0]) / det];
}

/** The angle in degrees between u and v, from the cross and dot products: accurate near 0, where acos is not.
 *  NaN when either is 0 (to rounding): a zero vector has no direction. */
export function angle(u, v) {
  if (Math.hypot(...u) < 1e-12 || Math.hypot(...v) < 1e-12) return NaN;
  return Math.abs(Math.atan2(u[0] * v[1] - u[1] * v[0], u[0] * v[0] + u[1] * v[1])) * 180 / Math.PI;
}

/** Everything the picture shows at theta, computed here from the examples (and exposed for the tests). */
function state(data, theta, picture) {
  const n = data.z.length;
  const places = data.z.map((_, i) => picture === "mistaken" ? [theta[0] + data.places[i][0], theta[1] + data.places[i][1]] : theta);
  const gradients = data.z.map((z, i) => exampleGradient(places[i], z, data.y[i]));
  const mean = [0, 1].map((k) => gradients.reduce((sum, g) => sum + g[k], 0) / n);
  const full = costGradient(theta, data);
  return { picture, theta, places, gradients, mean, cost_gradient: full, cost: cost(theta, data),
           minimum: minimum(data), angle: angle([-mean[0], -mean[1]], [-full[0], -full[1]]) };
}

function arrow(parent, className) {
  const group = el("g", { class: className }, parent);
  return { line: el("line", {}, group), head: el("polygon", {}, group) };
}

function placeArrow({ line, head }, [x0, y0], [x1, y1], size) {
  line.setAttribute("x1", x0); line.setAttribute("y1", y0); line.setAttribute("x2", x1); line.setAttribute("y2", y1);
  const length = Math.hypot(x1 - x0, y1 - y0);
  if (length < 1e-9) { head.setAttribute("points", ""); return; }
  const [ux, uy] = [(x1 - x0) / length, (y1 - y0) / length];
  const s = Math.min(size, length);
  head.setAttribute("points", [[x1, y1], [x1 - s * ux + 0.45 * s * uy, y1 - s * uy - 0.45 * s * ux],
    [x1 - s * ux - 0.45 * s * uy, y1 - s * uy + 0.45 * s * ux]].map((p) => p.join(",")).join(" "));
}

/** The cost's contour at `level`: an ellipse about the minimum, (theta - theta*)^T G (theta - theta*) = level - C*. */
function contour(parent, data, level, x, y) {
  const [a, c, d] = [data.gram[0][0], data.gram[0][1], data.gram[1][1]];
  const centre = minimum(data), excess = level - cost(centre, data);
  const half = Math.hypot((a - d) / 2, c), mid = (a + d) / 2;
  const tilt = Math.atan2(2 * c, a - d) / 2;  // the direction of the larger eigenvalue's axis
  const sx = x(1) - x(0), sy = y(1) - y(0);   // pixels per unit (sy < 0: b grows upwards)
  el("ellipse", { class: "contour", rx: Math.sqrt(excess / (mid + half)), ry: Math.sqrt(excess / (mid - half)),
                  transform: `translate(${x(centre[0])} ${y(centre[1])}) scale(${sx} ${sy}) rotate(${tilt * 180 / Math.PI})`,
                  "vector-effect": "non-scaling-stroke" }, parent);
}

function axes(svg, data, x, y, height) {
  const group = el("g", { class: "axes", "aria-hidden": "true" }, svg);
  const [w0, w1] = data.w_range, [b0, b1] = data.b_range;
  el("rect", { class: "frame", x: x(w0), y: y(b1), width: x(w1) - x(w0), height: y(b0) - y(b1) }, group);
  for (let w = Math.ceil(w0); w <= w1; w++) {
    el("line", { x1: x(w), x2: x(w), y1: y(b0), y2: y(b0) + 5 }, group);
    el("text", { x: x(w), y: y(b0) + 22, "text-anchor": "middle" }, group).textContent = shown(w, 0);
  }
  for (let b = Math.ceil(b0); b <= b1; b++) {
    el("line", { x1: x(w0) - 5, x2: x(w0), y1: y(b), y2: y(b) }, group);
    el("text", { x: x(w0) - 8, y: y(b) + 6, "text-anchor": "end" }, group).textContent = shown(b, 0);
  }
  el("text", { x: (x(w0) + x(w1)) / 2, y: height - 6, "text-anchor": "middle" }, group).textContent = "slope w";
  el("text", { x: 16, y: (y(b0) + y(b1)) / 2, "text-anchor": "middle",
               transform: `rotate(-90 16 ${(y(b0) + y(b1)) / 2})` }, group).textContent = "intercept b";
}

function line(...parts) {
  const span = document.createElement("span");
  span.className = "gradavg-explore-line";
  span.textContent = parts.join("");
  return span;
}

export function mount(root, data) {
  const { svg, width, height } = drawing(root, "The cost's contours over slope w and intercept b, and the gradients at the point");
  const x = linear(data.w_range, [MARGIN.left, width - MARGIN.right]);
  const y = linear(data.b_range, [height - MARGIN.bottom, MARGIN.top]);
  const text = root.querySelector(".gradavg-explore-text");
  text.id ||= `gradavg-explore-${document.querySelectorAll(".gradavg-explore-text[id]").length + 1}`;
  svg.setAttribute("tabindex", "0");
  svg.setAttribute("role", "application");
  svg.setAttribute("aria-label", "Parameter point (w, b): drag it, or move it with the arrow keys, Shift for bigger steps");
  svg.setAttribute("aria-describedby", text.id);
  svg.classList.add("gradavg-contours");

  const clip = `${text.id}-clip`;
  el("rect", { x: x(data.w_range[0]), y: y(data.b_range[1]), width: x(data.w_range[1]) - x(data.w_range[0]),
               height: y(data.b_range[0]) - y(data.b_range[1]) }, el("clipPath", { id: clip }, el("defs", {}, svg)));
  axes(svg, data, x, y, height);
  const plot = el("g", { "clip-path": `url(#${clip})`, "aria-hidden": "true" }, svg);
  const contours = el("g", {}, plot);
  for (const level of data.levels) contour(contours, data, level, x, y);
  const best = minimum(data);
  el("path", { class: "minimum", d: `M${x(best[0])},${y(best[1]) - 8} l2.4,5.6 6,0.4 -4.6,4 1.4,5.9 -5.2,-3.2 -5.2,3.2 1.4,-5.9 -4.6,-4 6,-0.4z` }, plot);
  const dots = data.z.map(() => el("circle", { class: "place", r: 3 }, plot));
  const examples = data.z.map(() => arrow(plot, "example"));
  const meanArrow = arrow(plot, "mean"), costArrow = arrow(plot, "cost-gradient");
  const point = el("circle", { class: "point", r: 6 }, plot);
  const handle = el("circle", { class: "handle", r: 22, "data-drag": "" }, svg);

  const controls = root.querySelector(".gradavg-explore-controls");
  const group = document.createElement("div");
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", "Picture");
  const buttons = { right: "Right picture", mistaken: "Mistaken picture" };
  for (const [name, label] of Object.entries(buttons)) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.picture = name;
    button.textContent = label;
    button.addEventListener("click", () => { picture = name; update(); });
    buttons[name] = button;
    group.append(button);
  }
  controls.append(group);

  let theta = data.start.slice(), picture = "right";
  const readout = document.createElement("span"), spoken = document.createElement("span");
  readout.setAttribute("aria-hidden", "true");  // the same numbers as `spoken`, which is throttled for screen readers
  spoken.className = "gradavg-visually-hidden";
  const speak = throttled((now) => { spoken.textContent = now; }, SPOKEN_EVERY_MS);

  function update() {
    const now = state(data, theta, picture);
    root.dataset.state = JSON.stringify(now);
    for (const [name, button] of Object.entries(buttons)) button.setAttribute("aria-pressed", String(name === picture));
    const longest = Math.max(...now.gradients.map((g) => Math.hypot(...g)));
    const scale = longest > 0 ? LONGEST / longest : 0;
    const tip = (from, g) => [x(from[0] - scale * g[0]), y(from[1] - scale * g[1])];
    now.gradients.forEach((g, i) => {
      const from = [x(now.places[i][0]), y(now.places[i][1])];
      placeArrow(examples[i], from, tip(now.places[i], g), 7);
      dots[i].setAttribute("cx", from[0]); dots[i].setAttribute("cy", from[1]);
      dots[i].style.display = picture === "mistaken" ? "" : "none";
    });
    const at = [x(theta[0]), y(theta[1])];
    placeArrow(costArrow, at, tip(theta, now.cost_gradient), 10);
    placeArrow(meanArrow, at, tip(theta, now.mean), 13);
    for (const circle of [point, handle]) { circle.setAttribute("cx", at[0]); circle.setAttribute("cy", at[1]); }

    const where = picture === "right" ? "Right picture, every gradient at θ" : "Mistaken picture, each gradient at its own place";
    const mean = picture === "right" ? "mean of the gradients" : "mean of the misplaced gradients";
    const lines = [where, `θ = (w, b) = (${shown(theta[0], 2)}, ${shown(theta[1], 2)})`,
                   `${mean} = (${shown(now.mean[0])}, ${shown(now.mean[1])})`,
                   Number.isNaN(now.angle) ? "angle between minus it and −∇C(θ): undefined, a zero vector has no direction"
                     : `angle between minus it and −∇C(θ): ${shown(now.angle, 2)}°`];
    readout.replaceChildren(...lines.map((l) => line(l)));
    speak(lines.join("; ").replace("−∇C(θ)", "minus the gradient of the cost") + ".");
  }

  function moveTo(w, b) {
    theta = [Math.min(Math.max(w, data.w_range[0]), data.w_range[1]), Math.min(Math.max(b, data.b_range[0]), data.b_range[1])];
    update();
  }

  svg.addEventListener("keydown", (event) => {
    const direction = KEYS[event.key];
    if (!direction) return;
    event.preventDefault();
    const step = event.shiftKey ? BIG_STEP : STEP;
    moveTo(theta[0] + step * direction[0], theta[1] + step * direction[1]);
  });

  const toParameters = (event) => {
    const p = new DOMPoint(event.clientX, event.clientY).matrixTransform(svg.getScreenCTM().inverse());
    return [x.invert(p.x), y.invert(p.y)];
  };
  handle.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    handle.setPointerCapture(event.pointerId);
    svg.focus({ preventScroll: true });
    moveTo(...toParameters(event));
  });
  handle.addEventListener("pointermove", (event) => {
    if (handle.hasPointerCapture(event.pointerId)) moveTo(...toParameters(event));
  });

  text.replaceChildren(readout, spoken);
  update();
}
