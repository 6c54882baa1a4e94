// What every explorable figure draws with: SVG elements, linear scales, and a throttle for the text alternative.
const SVG = "http://www.w3.org/2000/svg";

/** An SVG element with these attributes, appended to parent when one is given. */
export function el(tag, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (parent) parent.append(node);
  return node;
}

/** The figure's <svg>, in its mount point, with the viewBox of the aspect the build reserved (no layout shift). */
export function drawing(root, label) {
  const width = Number(root.dataset.width), height = Number(root.dataset.height);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
  root.querySelector(".gradavg-explore-mount").append(svg);
  return { svg, width, height };
}

/** The linear map from [d0, d1] onto [r0, r1]; scale.invert maps back. */
export function linear([d0, d1], [r0, r1]) {
  const scale = (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
  scale.invert = (p) => d0 + ((p - r0) / (r1 - r0)) * (d1 - d0);
  return scale;
}

/** f, called at most once every `ms` milliseconds, the last call always delivered. */
export function throttled(f, ms) {
  let timer = null, pending = null;
  return (...args) => {
    pending = args;
    if (timer !== null) return;
    f(...pending);
    pending = null;
    timer = setTimeout(() => {
      timer = null;
      if (pending) f(...pending);
      pending = null;
    }, ms);
  };
}

/** A number as the readout shows it: `digits` decimals, a true minus sign. */
export function shown(value, digits = 3) {
  return value.toFixed(digits).replace("-", "\u2212");
}
