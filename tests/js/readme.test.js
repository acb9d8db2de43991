// The README's Node example (the block after `<!-- example: sdk-js -->`) runs verbatim against
// a live fake, only its base URL changed.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { promisify } from "node:util";
import { startFake } from "./fake.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const README_URL = "http://127.0.0.1:8000";
let fake;

before(async () => { fake = await startFake(); });
after(() => fake.stop());

function readmeExample(name) {
  const text = readFileSync(path.join(HERE, "..", "..", "README.md"), "utf8");
  const start = text.indexOf(`<!-- example: ${name} -->`);
  assert.ok(start >= 0, `no example ${name} in README.md`);
  return text.slice(start).match(/^```[^\n]*\n([\s\S]*?)^```/m)[1];
}

test("the README's Node example runs as written", async () => {
  const code = readmeExample("sdk-js");
  assert.ok(code.includes(README_URL));
  // --eval resolves bare imports from the working directory: this package's node_modules.
  const { stdout } = await promisify(execFile)(
    process.execPath, ["--input-type=module", "--eval", code.replaceAll(README_URL, fake.url)],
    { cwd: HERE, timeout: 60_000 });
  const lines = stdout.trim().split("\n");
  assert.equal(lines[0], "hi");
  assert.match(lines[1], /^file_[0-9A-Z]{26} faq\.md$/);
  const journal = await fake.requests();
  assert.deepEqual(journal.map((r) => [r.vendor, r.method, r.status]), [
    ["openai", "POST", 200], ["openai", "GET", 200], ["orq", "POST", 200],
  ]);
});
