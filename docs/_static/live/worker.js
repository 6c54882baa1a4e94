// The in-browser engine: Pyodide with SymPy, mpmath and the project's own wheel, all served
// by the site, the wheels as bytecode (gradavg.site.live_bytecode). Runs in a module Web Worker,
// so a long check never freezes the page; the page enforces the time budget by terminating this
// worker and starting a new one.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const base = new URL("./", import.meta.url);

async function fetchWheel(name) {
  const response = await fetch(new URL(`wheels/${name}`, base));
  if (!response.ok) throw new Error(`could not load ${name}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function start() {
  const started = performance.now();
  // The wheels download while Pyodide compiles and boots, all at once: neither waits for the other.
  const wheels = fetch(new URL("wheels/manifest.json", base))
    .then((response) => response.json())
    .then((manifest) => Promise.all(manifest.wheels.map(fetchWheel)));
  const [pyodide, archives] = await Promise.all([loadPyodide({ indexURL: new URL("pyodide/", base).href }), wheels]);
  for (const archive of archives) pyodide.unpackArchive(archive, "wheel");
  pyodide.pyimport("gradavg.checks.browser_api");  // imports SymPy once, before the first check
  return { pyodide, seconds: (performance.now() - started) / 1000 };
}

const engine = start();

self.onmessage = async ({ data }) => {
  try {
    const { pyodide, seconds } = await engine;
    if (data.kind === "ping") {
      self.postMessage({ ready: true, startup: seconds });
      return;
    }
    const run = pyodide.pyimport("gradavg.checks.browser_api");
    const answer = data.kind === "claim" ? run.rerun_claim_json(data.module, data.claim)
      : data.kind === "answer" ? run.check_answer_json(data.text, data.expected, data.variables, data.positive)
      : run.check_text_json(data.loss, data.params, data.data, data.n, data.cost || undefined);  // undefined is None, null is not
    self.postMessage({ id: data.id, result: JSON.parse(answer), startup: seconds });
  } catch (error) {
    const message = String(error && error.message ? error.message : error);
    self.postMessage(data.kind === "ping" ? { ready: false, error: message } : { id: data.id, error: message });
  }
};
