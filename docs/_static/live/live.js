// Live checks: "Re-run in your browser" under each claim and the "Check your own loss" panel.
// Nothing heavy loads until the first click: then a Web Worker (worker.js) starts Pyodide and
// the project's own wheel, all served by the site. A check past its time budget is stopped by
// terminating the worker; the next click starts a fresh one.
(() => {
  "use strict";
  const base = new URL("./", document.currentScript.src);
  const BUDGET_SECONDS = 30;
  let worker = null;
  let nextId = 0;
  const pending = new Map();

  function servedOverHttp() {
    return location.protocol === "http:" || location.protocol === "https:";
  }

  function startWorker() {
    worker = new Worker(new URL("worker.js", base), { type: "module" });
    worker.onmessage = ({ data }) => {
      const job = pending.get(data.id);
      if (!job) return;
      pending.delete(data.id);
      clearTimeout(job.timer);
      data.error ? job.reject(new Error(data.error)) : job.resolve(data);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      stopWorker(new Error(`the in-browser engine could not start: ${event.message || "unknown error"}`));
    };
  }

  function stopWorker(reason) {
    if (worker) worker.terminate();
    worker = null;
    for (const job of pending.values()) {
      clearTimeout(job.timer);
      job.reject(reason);
    }
    pending.clear();
  }

  // Send one job; the budget counts from when the engine is ready, not from the download.
  function run(message, budgetSeconds) {
    if (!worker) startWorker();
    const id = ++nextId;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const job = { resolve, reject, timer: null };
      pending.set(id, job);
      worker.postMessage({ ...message, id, budget: budgetSeconds });
      job.arm = () => {
        job.timer = setTimeout(() => {
          const undecided = new Error(`undecided: stopped after ${budgetSeconds} s. ` +
            "Try fewer examples or a simpler loss, or run 'gradavg check' on your machine.");
          undecided.undecided = true;
          stopWorker(undecided);
        }, budgetSeconds * 1000);
      };
      ready().then(() => { if (pending.has(id)) job.arm(); });
    }).then((data) => ({ ...data, wall: (performance.now() - started) / 1000 }));
  }

  // Resolves once the current worker has loaded the engine (a ping answered).
  let readyWorker = null;
  let readyPromise = null;
  function ready() {
    if (readyWorker !== worker || !readyPromise) {
      readyWorker = worker;
      const w = worker;
      readyPromise = new Promise((resolve) => {
        const listener = ({ data }) => {
          if (data.ready) { w.removeEventListener("message", listener); resolve(); }
        };
        w.addEventListener("message", listener);
        w.postMessage({ kind: "ping" });
      });
    }
    return readyPromise;
  }

  const seconds = (s) => `${s.toFixed(2)} s`;

  function describeVerdict(result) {
    if (result.status === 2) return `Bad input: ${result.message}`;
    const lines = [`${result.holds ? "Holds" : "Fails"}: ${result.method} (${result.seconds} s in your browser).`];
    if (!result.holds && result.witness) {
      const witness = Object.entries(result.witness).map(([k, v]) => `${k} = ${v}`).join(", ");
      lines.push(`Witness: ${witness}.`);
      if (result.gap) lines.push(`Gap there: ${[].concat(result.gap).join(", ")}.`);
    }
    return lines.join(" ");
  }

  function fileMessage() {
    return "Live checks need the site served over http, not opened as a file: run 'make serve' " +
      "in the repository and open http://localhost:8000/ (any static host works too).";
  }

  // "Re-run in your browser" under a claim's verdict.
  function setUpRerun(box) {
    const button = box.querySelector("button");
    const output = box.querySelector(".gradavg-live-result");
    button.addEventListener("click", async () => {
      if (!servedOverHttp()) { output.textContent = fileMessage(); return; }
      button.disabled = true;
      output.textContent = worker ? "Running…" : "Loading the engine in your browser (a few seconds the first time)…";
      try {
        const { result } = await run({ kind: "claim", module: box.dataset.module, claim: box.dataset.claim },
                                     Number(box.dataset.budget || BUDGET_SECONDS));
        output.textContent = `In your browser: the claim ${result.holds ? "holds" : "FAILS"} ` +
          `(${result.method}; ${seconds(result.seconds)}); its control is ` +
          `${result.control_rejected ? "rejected" : "NOT rejected"} (${seconds(result.control_seconds)}).`;
        box.dataset.outcome = result.holds && result.control_rejected ? "ok" : "bad";
      } catch (error) {
        output.textContent = error.message;
        box.dataset.outcome = error.undecided ? "undecided" : "error";
      } finally {
        button.disabled = false;
      }
    });
  }

  // The "Check your own loss" panel.
  function setUpPanel(form) {
    const output = form.querySelector(".gradavg-live-result");
    const field = (name) => form.elements.namedItem(name);
    for (const example of form.querySelectorAll("button[data-example-cost]")) {
      example.addEventListener("click", () => {
        field("loss").value = example.dataset.exampleLoss || field("loss").value;
        field("cost").value = example.dataset.exampleCost;
        field("params").value = example.dataset.exampleParams || field("params").value;
        field("data").value = example.dataset.exampleData ?? field("data").value;
      });
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!servedOverHttp()) { output.textContent = fileMessage(); return; }
      const submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      form.dataset.outcome = "running";
      output.textContent = worker ? "Checking…" : "Loading the engine in your browser (a few seconds the first time)…";
      try {
        const { result } = await run({
          kind: "check", loss: field("loss").value, cost: field("cost").value.trim() || null,
          params: field("params").value, data: field("data").value, n: Number(field("n").value),
        }, Number(form.dataset.budget || BUDGET_SECONDS));
        output.textContent = describeVerdict(result);
        form.dataset.outcome = result.status === 0 ? "holds" : result.status === 1 ? "fails" : "refused";
      } catch (error) {
        output.textContent = error.message;
        form.dataset.outcome = error.undecided ? "undecided" : "error";
      } finally {
        submit.disabled = false;
      }
    });
  }

  function setUp() {
    document.querySelectorAll(".gradavg-live[data-claim]").forEach(setUpRerun);
    document.querySelectorAll("form.gradavg-check-panel").forEach(setUpPanel);
  }
  document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", setUp) : setUp();
})();
