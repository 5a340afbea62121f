// A small static file server for the playground: cross-origin isolated (COOP + COEP, so the
// threaded build can use SharedArrayBuffer), the same strict Content-Security-Policy and headers
// as `make serve` (read from Trunk.toml by headers.mjs), loopback only.
//   node scripts/serve.mjs --root www --host 127.0.0.1 --port 8080 [--no-isolation]
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { securityHeaders } from "./headers.mjs";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const root = path.resolve(opt("root", "www"));
const host = opt("host", "127.0.0.1");
const port = Number(opt("port", "8080"));
const isolated = !args.includes("--no-isolation");

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

// The headers `make serve` sends (Trunk.toml [serve.headers], the one source), without the three
// cross-origin isolation headers under --no-isolation, and with no caching.
const isolationHeaders = ["Cross-Origin-Opener-Policy", "Cross-Origin-Embedder-Policy", "Cross-Origin-Resource-Policy"];
const security = Object.fromEntries(
  Object.entries(securityHeaders()).filter(([name]) => isolated || !isolationHeaders.includes(name)),
);
security["Cache-Control"] = "no-cache";

const server = http.createServer((req, res) => {
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
  } catch {
    res.writeHead(400, security).end("bad request");
    return;
  }
  let file = path.resolve(root, "." + pathname);
  if (file !== root && !file.startsWith(root + path.sep)) {
    res.writeHead(403, security).end("forbidden");
    return;
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
  fs.readFile(file, (err, body) => {
    if (err) {
      res.writeHead(404, { ...security, "Content-Type": "text/plain; charset=utf-8" }).end("not found");
      return;
    }
    const type = types[path.extname(file)] ?? "application/octet-stream";
    res.writeHead(200, { ...security, "Content-Type": type, "Content-Length": body.length });
    res.end(req.method === "HEAD" ? undefined : body);
  });
});

server.listen(port, host, () => {
  console.log(`serving ${root} on http://${host}:${port}/ ${isolated ? "(cross-origin isolated)" : "(not isolated)"}`);
});
