// A second copy of the compute worker (worker.js) for long work that may be stopped: the
// long-context run. It loads the same engine build as the page's worker, starts on its first
// call, and stop() terminates it: its calls in flight reject with an error named "Cancelled", and
// the next call starts a fresh one. The page's own worker keeps computing the views meanwhile.
//
//   const spare = createSpare({build, threads});   the options of worker.js's init
//   await spare.call("longContext", {n: 4096, backend: "webgpu"})
//   spare.stop()                                    -> whether one was running
//   spare.started()                                 -> whether a copy is up (or starting)
export function createSpare(options) {
  let worker = null;
  let ready = null;
  let nextId = 1;
  const pending = new Map(); // id -> {resolve, reject}

  const failAll = (err) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  function send(method, args) {
    const id = nextId++;
    const w = worker;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      w.postMessage({ id, method, args });
    });
  }

  function start() {
    if (!ready) {
      worker = new Worker(new URL("../worker.js", import.meta.url), { type: "module", name: "attention-long" });
      worker.onmessage = ({ data: { id, result, error, name, progress } }) => {
        const p = pending.get(id);
        if (!p || progress !== undefined) return;
        pending.delete(id);
        if (error !== undefined) p.reject(Object.assign(new Error(error), name && name !== "Error" ? { name } : {}));
        else p.resolve(result);
      };
      worker.onerror = (e) => {
        e.preventDefault?.();
        failAll(new Error(`the long-context worker failed (${e.message || "it could not load"})`));
      };
      ready = send("init", [options]);
    }
    return ready;
  }

  return {
    async call(method, ...args) {
      await start();
      return send(method, args);
    },
    started: () => worker !== null,
    stop() {
      if (!worker) return false;
      worker.terminate();
      worker = null;
      ready = null;
      failAll(Object.assign(new Error("cancelled"), { name: "Cancelled" }));
      return true;
    },
  };
}
