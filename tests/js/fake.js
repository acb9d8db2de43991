// A live fakefiles server for the JavaScript SDK tests: `fakefiles serve --port 0` in a child
// process (the repo's .venv Python, or FAKEFILES_PYTHON), its URL read from the banner's
// first line, and small helpers for the control API under /_fakefiles/.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// Soon every vendor needs a non-empty key by default: every test client sends one.
export const API_KEY = "sk-fakefiles-js";

function python() {
  if (process.env.FAKEFILES_PYTHON) return process.env.FAKEFILES_PYTHON;
  const venv = path.join(ROOT, ".venv", "bin", "python");
  return existsSync(venv) ? venv : "python3";
}

export async function startFake(args = []) {
  const child = spawn(python(), ["-m", "fakefiles", "serve", "--port", "0",
    "--log-level", "warning", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => { stderr += chunk; });
  const url = await new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`no banner in 30 s:\n${stderr}`)), 30_000);
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = stdout.match(/^fakefiles \S+ on (http:\/\/\S+) /m);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`fakefiles serve exited with ${code}:\n${stderr}`));
    });
  });
  child.stdout.resume();
  return new Fake(url, child);
}

export class Fake {
  constructor(url, child) {
    this.url = url;
    this.child = child;
  }

  async stop() {
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }

  // Control calls always send Content-Type: application/json (even with an empty body), as
  // the control plane requires of every state-changing call.
  async control(method, route, body) {
    const response = await fetch(`${this.url}/_fakefiles${route}`, {
      method,
      headers: { "Content-Type": "application/json" },
      body: method === "GET" ? undefined : JSON.stringify(body ?? {}),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  }

  reset() { return this.control("POST", "/reset"); }
  async fail(rule) { return (await this.control("POST", "/faults", rule)).faults[0]; }
  async faults() { return (await this.control("GET", "/faults")).faults; }

  async requests(filters = {}) {
    const query = new URLSearchParams(filters).toString();
    return (await this.control("GET", `/requests${query ? `?${query}` : ""}`)).requests;
  }
}
