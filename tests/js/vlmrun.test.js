// The vlmrun npm SDK's whole Files workflow against a live fake: the md5 lookup before an
// upload, content dedup, skip/limit pages, public links, and its one error class.
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { APIError, VlmRun } from "vlmrun";
import { API_KEY, startFake } from "./fake.js";

let fake;
let client;

before(async () => {
  fake = await startFake();
  client = new VlmRun({ apiKey: API_KEY, baseURL: `${fake.url}/vlmrun/v1` });
});
after(() => fake.stop());
beforeEach(() => fake.reset());

function tempFile(name, content) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "fakefiles-js-")), name);
  writeFileSync(file, content);
  return file;
}

test("a path upload asks for the md5 first, and the second one is answered by it", async () => {
  const content = "invoice 42\n";
  const md5 = createHash("md5").update(content).digest("hex");
  const file = tempFile("invoice.txt", content);

  const first = await client.files.upload({ filePath: file, purpose: "assistants" });
  assert.match(first.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(first.filename, "invoice.txt");
  assert.equal(first.bytes, content.length);
  let journal = (await fake.requests({ vendor: "vlmrun" })).map((r) => [r.method, r.path, r.status]);
  assert.deepEqual(journal, [
    ["GET", `/vlmrun/v1/files/hash/${md5}`, 404], // the lookup missed
    ["POST", "/vlmrun/v1/files", 201], // so the SDK uploaded
  ]);

  const again = await client.files.upload({ filePath: file });
  assert.equal(again.id, first.id);
  journal = (await fake.requests({ vendor: "vlmrun" })).map((r) => [r.method, r.path, r.status]);
  assert.deepEqual(journal.slice(2), [["GET", `/vlmrun/v1/files/hash/${md5}`, 200]]);
});

test("upload a File, get, list with skip/limit, public link, delete", async () => {
  const uploaded = [];
  for (const name of ["a.txt", "b.txt", "c.txt"]) {
    uploaded.push(await client.files.upload({
      file: new File([`content of ${name}`], name, { type: "text/plain" }), purpose: "vision",
    }));
  }
  const fetched = await client.files.get(uploaded[1].id);
  assert.equal(fetched.filename, "b.txt");
  const link = await fetch(fetched.public_url); // signed, served by the fake, no key
  assert.equal(await link.text(), "content of b.txt");

  const page = await client.files.list({ skip: 1, limit: 1 });
  assert.deepEqual(page.map((f) => f.filename), ["b.txt"]); // newest first
  assert.equal((await client.files.list()).length, 3);

  await client.files.delete(uploaded[0].id);
  await assert.rejects(client.files.get(uploaded[0].id),
    (err) => err instanceof APIError && err.http_status === 404);
});

test("bad input: one APIError class, carrying the status", async () => {
  await assert.rejects(
    client.files.upload({ file: new File(["x"], "x.txt"), purpose: "not-a-purpose" }),
    (err) => err instanceof APIError && err.http_status === 422
      && JSON.parse(err.message).detail[0].loc.includes("purpose"));
  await assert.rejects(client.files.list({ limit: -1 }),
    (err) => err instanceof APIError && err.http_status === 422);
  await fake.fail({ vendor: "vlmrun", method: "GET", status: 503, times: 1 });
  await assert.rejects(client.files.list(),
    (err) => err instanceof APIError && err.http_status === 503);
});
