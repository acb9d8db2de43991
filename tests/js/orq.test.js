// The @orq-ai/node SDK's whole Files workflow against a live fake: camelCase models, cursor
// pages both ways, rename, presigned download, and one project per API key.
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { Orq } from "@orq-ai/node";
import * as errors from "@orq-ai/node/models/errors/index.js";
import { API_KEY, startFake } from "./fake.js";

let fake;
let orq;
const b64 = (text) => Buffer.from(text).toString("base64");

before(async () => {
  fake = await startFake();
  orq = new Orq({ apiKey: API_KEY, serverURL: `${fake.url}/orq` }); // the SDK adds /v2
});
after(() => fake.stop());
beforeEach(() => fake.reset());

test("create, get, rename, download, delete: camelCase models", async () => {
  const { file } = await orq.files.create({
    filename: "faq.md", content: b64("# FAQ\n"), purpose: "FILE_PURPOSE_RETRIEVAL",
    contentType: "text/markdown",
  });
  assert.match(file.fileId, /^file_[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(file.fileName, "faq.md");
  assert.equal(file.bytes, "6"); // int64 as a string, as protobuf JSON renders it
  assert.ok(file.createdAt instanceof Date);
  assert.equal(file.purpose, "FILE_PURPOSE_RETRIEVAL");
  assert.match(file.projectId, /\S/);
  // The wire is snake_case: the SDK's zod schemas did the mapping.
  const [post] = await fake.requests({ vendor: "orq", method: "POST" });
  assert.equal(post.path, "/orq/v2/files");

  assert.deepEqual((await orq.files.get({ fileId: file.fileId })).file, file);
  const renamed = await orq.files.update({
    fileId: file.fileId, updateFileRequest: { fileName: "faq-v2.md" },
  });
  assert.equal(renamed.file.fileName, "faq-v2.md");

  const { downloadUrl } = await orq.files.getContent({ fileIdOrPath: file.fileId });
  const download = await fetch(downloadUrl); // presigned: no key needed
  assert.equal(download.status, 200);
  assert.equal(await download.text(), "# FAQ\n");

  await orq.files.delete({ fileId: file.fileId });
  await assert.rejects(orq.files.get({ fileId: file.fileId }),
    (err) => err instanceof errors.APIError && err.statusCode === 404
      && JSON.parse(err.body).code === 5); // gRPC NOT_FOUND
});

test("cursor pagination forward and backward", async () => {
  const ids = [];
  for (let i = 0; i < 7; i++) {
    ids.push((await orq.files.create({ filename: `n${i}.txt`, content: b64(`${i}`) })).file.fileId);
  }
  const newestFirst = ids.toReversed();
  const seen = [];
  let page = await orq.files.list({ limit: 3 });
  for (;;) {
    seen.push(...page.data.map((f) => f.fileId));
    if (!page.hasMore) break;
    page = await orq.files.list({ limit: 3, startingAfter: page.data.at(-1).fileId });
  }
  assert.deepEqual(seen, newestFirst);

  const before = await orq.files.list({ limit: 2, endingBefore: newestFirst[4] });
  assert.deepEqual(before.data.map((f) => f.fileId), newestFirst.slice(2, 4));
  assert.equal(before.hasMore, true);
});

test("each API key sees only its own project", async () => {
  const other = new Orq({ apiKey: "sk-other-team", serverURL: `${fake.url}/orq` });
  const { file } = await orq.files.create({ filename: "mine.txt", content: b64("mine") });
  assert.deepEqual((await other.files.list()).data, []);
  await assert.rejects(other.files.get({ fileId: file.fileId }),
    (err) => err instanceof errors.APIError && err.statusCode === 404);
});

test("errors carry the status and orq's envelope", async () => {
  await assert.rejects(orq.files.list({ limit: 0 }),
    (err) => err instanceof errors.APIError && err.statusCode === 400
      && JSON.parse(err.body).code === 3); // INVALID_ARGUMENT
  await fake.fail({ vendor: "orq", method: "GET", path: "/files", status: 500, times: 1 });
  await assert.rejects(orq.files.list(),
    (err) => err instanceof errors.APIError && err.statusCode === 500
      && JSON.parse(err.body).code === 13); // INTERNAL
  assert.deepEqual((await orq.files.list()).data, []); // the rule fired once
});
