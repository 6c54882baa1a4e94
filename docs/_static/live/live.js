// Live checks: "Re-run in your browser" under each claim, the "Check your own loss" panel and the
// exercises' answer boxes.
// Nothing heavy loads with the page. The engine (a Web Worker, worker.js, that starts Pyodide and
// the project's own wheel, all served by the site) starts once, when the reader comes near a live
// element: points at or focuses the form or a re-run button, or scrolls a re-run button into view;
// a click then finds it ready or half-way. A check past its time budget is stopped by terminating
// the worker; the next click starts a fresh one.
(() => {
  "use strict";
  const base = new URL("./", document.currentScript.src);
  const BUDGET_SECONDS = 30;
  const STARTING = "Starting the engine in your browser (a few seconds, once)…";
  let worker = null;
  let engineReady = false;
  let nextId = 0;
  const pending = new Map();

  function servedOverHttp() {
    return location.protocol === "http:" || location.protocol === "https:";
  }

  function startWorker() {
    worker = new Worker(new URL("worker.js", base), { type: "module" });
    engineReady = false;
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
    engineReady = false;
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
          const undecided = new Error(`undecided: stopped after ${seconds(budgetSeconds)}. ` +
            "Try fewer examples or a simpler loss, or run 'gradavg check' on your machine.");
          undecided.undecided = true;
          stopWorker(undecided);
        }, budgetSeconds * 1000);
      };
      ready().then(() => { if (pending.has(id)) job.arm(); });
    }).then((data) => ({ ...data, wall: (performance.now() - started) / 1000 }));
  }

  // Resolves once the current worker has loaded the engine (a ping answered), with whether it could.
  let readyWorker = null;
  let readyPromise = null;
  function ready() {
    if (readyWorker !== worker || !readyPromise) {
      readyWorker = worker;
      const w = worker;
      readyPromise = new Promise((resolve) => {
        const listener = ({ data }) => {
          if (data.ready === undefined) return;
          w.removeEventListener("message", listener);
          if (w === worker) engineReady = data.ready;
          resolve(data);
        };
        w.addEventListener("message", listener);
        w.postMessage({ kind: "ping" });
      });
    }
    return readyPromise;
  }

  // Start the engine ahead of the first click, once; `output` (an aria-live region) says so
  // unless it already shows something of its own. Re-run buttons pass none: a line of text appearing
  // under a claim as the reader scrolls or points would push the page down (a layout shift); their
  // click says what it waits for.
  function warmUp(output) {
    if (!servedOverHttp() || worker) return;
    startWorker();
    document.documentElement.dataset.gradavgEngine = "starting";
    if (output && !output.textContent) output.textContent = STARTING;
    ready().then(({ ready: ok, error }) => {
      document.documentElement.dataset.gradavgEngine = ok ? "ready" : "error";
      if (output && output.textContent === STARTING) {
        output.textContent = ok ? "The engine is ready: a check now takes well under a second." :
          `The in-browser engine could not start: ${error}`;
      }
    });
  }

  // Two significant digits ("0.13 s", "2.4 s"), whole seconds from 10 s: a reader's scale, not a timer's.
  const seconds = (s) => `${s >= 10 ? Math.round(s) : Number(Number(s).toPrecision(2))} s`;

  function describeVerdict(result) {
    if (result.status === 2) return `Bad input: ${result.message}`;
    const lines = [`${result.holds ? "Holds" : "Fails"}: ${result.method} (${seconds(result.seconds)} in your browser).`];
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

  function waitingText(busy) {
    return engineReady ? busy : "Starting the engine in your browser (a few seconds, once), then checking…";
  }

  // "Re-run in your browser" under a claim's verdict.
  function setUpRerun(box) {
    const button = box.querySelector("button");
    const output = box.querySelector(".gradavg-live-result");
    for (const near of ["pointerenter", "focusin"]) box.addEventListener(near, () => warmUp(null), { once: true });
    button.addEventListener("click", async () => {
      if (!servedOverHttp()) { output.textContent = fileMessage(); return; }
      button.disabled = true;
      output.textContent = waitingText("Running…");
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

  // Re-run buttons start the engine when the reader scrolls one into view (or near it); a button
  // already in view when the page loads waits for the reader to scroll, point or focus, so that
  // loading a page (what Lighthouse measures) never starts the engine.
  function watchScrolling(boxes) {
    if (!boxes.length || !("IntersectionObserver" in window)) return;
    const observer = new IntersectionObserver((entries) => {
      const seen = entries.find((entry) => entry.isIntersecting);
      if (!seen) return;
      observer.disconnect();
      warmUp(null);
    }, { rootMargin: "200px 0px" });
    addEventListener("scroll", () => boxes.forEach((box) => observer.observe(box)), { once: true, passive: true });
  }

  // The "Check your own loss" panel.
  function setUpPanel(form) {
    const output = form.querySelector(".gradavg-live-result");
    const field = (name) => form.elements.namedItem(name);
    const buttons = () => form.querySelectorAll("button");
    for (const near of ["pointerenter", "focusin"]) form.addEventListener(near, () => warmUp(output), { once: true });
    // Each example fills the form and runs the check: the reader who clicks one wants its verdict.
    for (const example of form.querySelectorAll("button[data-example-cost]")) {
      example.addEventListener("click", () => {
        field("loss").value = example.dataset.exampleLoss || field("loss").value;
        field("cost").value = example.dataset.exampleCost;
        field("params").value = example.dataset.exampleParams || field("params").value;
        field("data").value = example.dataset.exampleData ?? field("data").value;
        field("n").value = example.dataset.exampleN || field("n").value;
        form.requestSubmit();
      });
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!servedOverHttp()) { output.textContent = fileMessage(); return; }
      if (form.dataset.outcome === "running") return;
      buttons().forEach((button) => { button.disabled = true; });
      form.dataset.outcome = "running";
      output.textContent = waitingText("Checking…");
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
        buttons().forEach((button) => { button.disabled = false; });
      }
    });
  }

  // An exercise's answer box: the engine decides whether the reader's answer equals the solution.
  function describeAnswer(result) {
    if (result.status === 2) return `Not checked: ${result.message}`;
    if (result.equivalent) return `Right: your answer equals the solution (${result.method}).`;
    const at = Object.entries(result.witness).map(([k, v]) => `${k} = ${v}`).join(", ");
    return `Not equal to the solution: ${at ? `at ${at}` : "as numbers"} your answer is ${result.yours}, ` +
      `the solution ${result.expected}.`;
  }

  function setUpAnswer(form) {
    const output = form.querySelector(".gradavg-live-result");
    const button = form.querySelector("button");
    for (const near of ["pointerenter", "focusin"]) form.addEventListener(near, () => warmUp(output), { once: true });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!servedOverHttp()) { output.textContent = fileMessage(); return; }
      if (form.dataset.outcome === "running") return;
      button.disabled = true;
      form.dataset.outcome = "running";
      output.textContent = waitingText("Checking…");
      try {
        const { result } = await run({ kind: "answer", text: form.elements.namedItem("answer").value,
                                       expected: form.dataset.expected, variables: form.dataset.variables,
                                       positive: form.dataset.positive },
                                     Number(form.dataset.budget || BUDGET_SECONDS));
        output.textContent = describeAnswer(result);
        form.dataset.outcome = result.status === 0 ? "right" : result.status === 1 ? "wrong" : "refused";
      } catch (error) {
        output.textContent = error.message;
        form.dataset.outcome = error.undecided ? "undecided" : "error";
      } finally {
        button.disabled = false;
      }
    });
  }

  function setUp() {
    const boxes = [...document.querySelectorAll(".gradavg-live[data-claim]")];
    boxes.forEach(setUpRerun);
    watchScrolling(boxes);
    document.querySelectorAll("form.gradavg-check-panel").forEach(setUpPanel);
    document.querySelectorAll("form.gradavg-answer").forEach(setUpAnswer);
  }
  document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", setUp) : setUp();
})();
