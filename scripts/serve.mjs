// A small static file server for the playground: cross-origin isolated (COOP + COEP, so the
// threaded build can use SharedArrayBuffer), the same strict Content-Security-Policy and headers
// as `make serve` (read from Trunk.toml by headers.mjs), loopback only.
//   node scripts/serve.mjs --root www --host 127.0.0.1 --port 8080 [--no-isolation] [--cors] [--csp POLICY]
//   --no-isolation  without COOP/COEP/CORP (an ordinary page: no SharedArrayBuffer)
//   --cors          the files may be used by pages of other origins (Access-Control-Allow-Origin: *,
//                   Cross-Origin-Resource-Policy: cross-origin): the custom element's origin, whose
//                   module scripts, worker, engine builds and style sheets a host page loads
//   --csp POLICY    this Content-Security-Policy instead of the page's (a host page's own policy)
// Every file carries Last-Modified and is revalidated (Cache-Control: no-cache): an unchanged file
// is answered 304 Not Modified, so a browser's warm cache is a real one.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream";
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
const cors = args.includes("--cors");
const csp = opt("csp", null);

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
  ".safetensors": "application/octet-stream",
};

// The headers `make serve` sends (Trunk.toml [serve.headers], the one source), without the three
// cross-origin isolation headers under --no-isolation, and with no caching.
const isolationHeaders = ["Cross-Origin-Opener-Policy", "Cross-Origin-Embedder-Policy", "Cross-Origin-Resource-Policy"];
const security = Object.fromEntries(
  Object.entries(securityHeaders()).filter(([name]) => isolated || !isolationHeaders.includes(name)),
);
security["Cache-Control"] = "no-cache";
if (csp !== null) security["Content-Security-Policy"] = csp;
if (cors) {
  security["Access-Control-Allow-Origin"] = "*";
  if (isolated) security["Cross-Origin-Resource-Policy"] = "cross-origin";
}

// Files are streamed with their size as Content-Length (the page shows the model's download
// progress from it); the model's files under models/ are symbolic links into the build cache
// (scripts/build-engines.sh), which this follows like any file.
const server = http.createServer(async (req, res) => {
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
  let stat;
  try {
    stat = await fs.promises.stat(file);
    if (stat.isDirectory()) {
      file = path.join(file, "index.html");
      stat = await fs.promises.stat(file);
    }
  } catch {
    stat = null;
  }
  if (!stat?.isFile()) {
    res.writeHead(404, { ...security, "Content-Type": "text/plain; charset=utf-8" }).end("not found");
    return;
  }
  const type = types[path.extname(file)] ?? "application/octet-stream";
  const modified = new Date(Math.floor(stat.mtimeMs / 1000) * 1000);
  const since = Date.parse(req.headers["if-modified-since"] ?? "");
  if (Number.isFinite(since) && modified.getTime() <= since) {
    res.writeHead(304, { ...security, "Last-Modified": modified.toUTCString() }).end();
    return;
  }
  res.writeHead(200, { ...security, "Content-Type": type, "Content-Length": stat.size, "Last-Modified": modified.toUTCString() });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  // (A client that cancels a download closes the response; pipeline then closes the file.)
  pipeline(fs.createReadStream(file), res, () => {});
});

server.listen(port, host, () => {
  console.log(`serving ${root} on http://${host}:${port}/ ${isolated ? "(cross-origin isolated)" : "(not isolated)"}${cors ? " (CORS: any origin)" : ""}`);
});
