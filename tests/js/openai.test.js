// The openai npm SDK's whole Files workflow against a live fake (OpenAI and impala.ai).
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { createReadStream, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI, { toFile } from "openai";
import { API_KEY, startFake } from "./fake.js";

let fake;
let client;
const BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i)); // every byte value

before(async () => {
  fake = await startFake();
  client = new OpenAI({ baseURL: `${fake.url}/openai/v1`, apiKey: API_KEY });
});
after(() => fake.stop());
beforeEach(() => fake.reset());

test("upload from a Buffer, retrieve, download the exact bytes, delete", async () => {
  const created = await client.files.create({
    file: await toFile(BYTES, "bytes.bin"), purpose: "vision", // assistants files: 400 on download
  });
  assert.match(created.id, /^file-[A-Za-z0-9]{24}$/);
  assert.equal(created.object, "file");
  assert.equal(created.bytes, 256);
  assert.equal(created.filename, "bytes.bin");
  assert.equal(created.status, "processed");

  assert.deepEqual(await client.files.retrieve(created.id), created);
  const content = await client.files.content(created.id);
  assert.match(content.headers.get("content-disposition"), /filename="bytes.bin"/);
  assert.deepEqual(Buffer.from(await content.arrayBuffer()), BYTES);

  assert.deepEqual(await client.files.delete(created.id),
    { id: created.id, object: "file", deleted: true });
  await assert.rejects(client.files.retrieve(created.id), OpenAI.NotFoundError);
});

test("upload from a stream goes out chunked, with no Content-Length", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "fakefiles-js-"));
  const file = path.join(dir, "train.jsonl");
  const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ prompt: `q${i}`, n: i }));
  writeFileSync(file, lines.join("\n") + "\n");

  const created = await client.files.create({ file: createReadStream(file), purpose: "batch" });
  assert.equal(created.filename, "train.jsonl");
  assert.equal(created.purpose, "batch");
  assert.equal(created.expires_at - created.created_at, 30 * 24 * 3600); // batch files expire

  const [post] = await fake.requests({ method: "POST", path: "/openai/v1/files" });
  assert.equal(post.status, 200);
  assert.equal(post.headers["content-length"], undefined);
  assert.equal(post.headers["transfer-encoding"], "chunked");
  const text = await (await client.files.content(created.id)).text();
  assert.equal(text.split("\n")[1999], lines[1999]);
});

test("upload from a File, and from a Response body via toFile", async () => {
  const fromFile = await client.files.create({
    file: new File(["hello from a File"], "hello.txt", { type: "text/plain" }),
    purpose: "user_data",
  });
  assert.equal(fromFile.bytes, "hello from a File".length);
  const fromResponse = await client.files.create({
    file: await toFile(new Response("from a Response"), "response.txt"), purpose: "vision",
  });
  assert.equal(await (await client.files.content(fromResponse.id)).text(), "from a Response");
});

test("auto-pagination walks every page with `after`", async () => {
  // Uploaded, not seeded: a reset goes back to every fixture loaded, runtime ones included.
  for (let i = 0; i < 25; i++) {
    await client.files.create({ file: await toFile(Buffer.from(`${i}`), `${i}.txt`), purpose: "assistants" });
  }
  const ids = [];
  for await (const file of client.files.list({ limit: 10 })) ids.push(file.id);
  assert.equal(ids.length, 25);
  assert.equal(new Set(ids).size, 25);

  const lists = await fake.requests({ method: "GET", path: "/openai/v1/files" });
  assert.equal(lists.length, 3);
  assert.deepEqual(lists.map((r) => new URLSearchParams(r.query).get("after")),
    [null, ids[9], ids[19]]);

  const page = await client.files.list({ limit: 10, purpose: "assistants" });
  assert.equal(page.data.length, 10);
  assert.equal(page.hasNextPage(), true);
});

test("one error class per status", async () => {
  const created = await client.files.create({
    file: await toFile(Buffer.from("x"), "x.txt"), purpose: "assistants",
  });
  // Real errors from the fake's own checks.
  await assert.rejects(
    client.files.create({ file: await toFile(Buffer.from("x"), "x.txt"), purpose: "nope" }),
    (err) => err instanceof OpenAI.BadRequestError && err.status === 400
      && err.param === "purpose");
  await assert.rejects(client.files.retrieve("file-doesnotexist"),
    (err) => err instanceof OpenAI.NotFoundError && /No such File object/.test(err.message));
  // Injected ones, in OpenAI's envelope: the SDK picks its class from the status.
  const classes = {
    401: OpenAI.AuthenticationError, 403: OpenAI.PermissionDeniedError,
    404: OpenAI.NotFoundError, 409: OpenAI.ConflictError, 422: OpenAI.UnprocessableEntityError,
    429: OpenAI.RateLimitError, 500: OpenAI.InternalServerError, 503: OpenAI.InternalServerError,
  };
  for (const [status, errorClass] of Object.entries(classes)) {
    await assert.rejects(
      client.files.retrieve(created.id, {
        headers: { "X-Fakefiles-Fault": status }, maxRetries: 0,
      }),
      (err) => err instanceof errorClass && err.status === Number(status)
        && typeof err.error?.message === "string",
      `HTTP ${status}`);
  }
});

test("the SDK retries past a one-shot 500, and the failed try stored nothing", async () => {
  const rule = await fake.fail({
    vendor: "openai", method: "POST", path: "/files", status: 500, times: 1,
  });
  const created = await client.files.create({
    file: await toFile(Buffer.from("retry me"), "retry.txt"), purpose: "assistants",
  });
  const posts = await fake.requests({ method: "POST", path: "/openai/v1/files" });
  assert.deepEqual(posts.map((r) => [r.status, r.fault_id]), [[500, rule.id], [200, null]]);
  assert.equal(posts[1].headers["x-stainless-retry-count"], "1");
  const [after] = await fake.faults();
  assert.deepEqual([after.fired, after.retired], [1, true]);
  const list = await client.files.list();
  assert.deepEqual(list.data.map((f) => f.id), [created.id]);
});

test("a 429 with Retry-After: the SDK waits that long, then succeeds", async () => {
  const created = await client.files.create({
    file: await toFile(Buffer.from("x"), "x.txt"), purpose: "assistants",
  });
  await fake.fail({
    vendor: "openai", method: "GET", path: "/files/*", status: 429,
    headers: { "Retry-After": "1" }, times: 1,
  });
  const started = performance.now();
  assert.equal((await client.files.retrieve(created.id)).id, created.id);
  // A lower bound only: the SDK honoured the header instead of its sub-second backoff.
  assert.ok(performance.now() - started >= 900, "the SDK did not wait for Retry-After");
  const gets = await fake.requests({ method: "GET", path: `/openai/v1/files/${created.id}` });
  assert.deepEqual(gets.map((r) => r.status), [429, 200]);
});

test("the Uploads API assembles parts in order", async () => {
  const upload = await client.uploads.create({
    bytes: 23, filename: "parts.jsonl", mime_type: "text/jsonl", purpose: "batch",
  });
  const first = await client.uploads.parts.create(upload.id, { data: await toFile(Buffer.from('{"n": "hello"}\n'), "p1") });
  const second = await client.uploads.parts.create(upload.id, { data: await toFile(Buffer.from('{"n": 1}'), "p2") });
  const done = await client.uploads.complete(upload.id, { part_ids: [first.id, second.id] });
  assert.equal(done.status, "completed");
  assert.equal(await (await client.files.content(done.file.id)).text(), '{"n": "hello"}\n{"n": 1}');
});

test("impala.ai answers the same SDK in its own dialect", async () => {
  const impala = new OpenAI({ baseURL: `${fake.url}/impala/v1`, apiKey: API_KEY });
  const created = await impala.files.create({
    file: await toFile(Buffer.from("region,total\nEU,12\n"), "q1.csv"), purpose: "assistants",
  });
  assert.equal(created.expires_at, null); // always present, null: impala's shape
  assert.deepEqual((await impala.files.list()).data.map((f) => f.id), [created.id]);
  await assert.rejects(impala.files.retrieve("file-missing"), OpenAI.NotFoundError);
});
