// The web console in headless Chromium (Debian's package, driven by playwright-core over
// CDP): seed, see files, preview, upload by picker and by drag and drop, rename, delete, add a
// fault and watch it fire, watch the journal update, advance the clock and watch a file
// expire, reset. Screenshots of each main view go to test-output/console/ (FAKEFILES_DOCS=1
// also refreshes docs/console.png, the README's).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { API_KEY, startFake } from "../fake.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../../..");
const SHOTS = process.env.FAKEFILES_SCREENSHOTS || path.join(HERE, "..", "test-output", "console");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"];
const WAIT = { timeout: 15_000 };

let fake;
let browser;
let page;
const pageErrors = [];
const foreignRequests = [];

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (make test-browser installs it)`);
  mkdirSync(SHOTS, { recursive: true });
  fake = await startFake(["--fixtures", "fixtures/default.yaml"]);
  // A fresh profile directory (Playwright passes it as --user-data-dir) and our flags.
  browser = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), "fakefiles-console-")), {
    executablePath: CHROMIUM, headless: true, args: FLAGS.filter((f) => f !== "--headless"),
    viewport: { width: 1440, height: 900 }, colorScheme: "light",
  });
  page = browser.pages()[0] || await browser.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => { if (message.type() === "error") pageErrors.push(message.text()); });
  page.on("request", (request) => {
    const url = request.url();
    // The network only (blob: previews and the browser's own PDF viewer are local).
    if (/^(https?|wss?):/.test(url) && !url.startsWith(`${fake.url}/`)) foreignRequests.push(url);
  });
  await page.goto(`${fake.url}/_fakefiles/ui/`);
});

after(async () => {
  await browser?.close();
  await fake?.stop();
});

async function shot(name) {
  await page.waitForTimeout(300); // let the last poll's render settle
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`screenshot: ${path.relative(ROOT, file)}`);
  return file;
}

async function view(hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((h) => location.hash === h, hash);
}

const rowCount = (selector) => page.locator(selector).count();

async function vendorFetch(prefix, pathAndQuery, init = {}) {
  return fetch(`${fake.url}${prefix}${pathAndQuery}`, {
    ...init, headers: { Authorization: `Bearer ${API_KEY}`, ...(init.headers || {}) },
  });
}

test("a browser asking for /_fakefiles/ lands on the console; a client gets JSON", async () => {
  const html = await fetch(`${fake.url}/_fakefiles/`, { headers: { Accept: "text/html" }, redirect: "manual" });
  assert.equal(html.status, 303);
  assert.equal(html.headers.get("location"), `${fake.url}/_fakefiles/ui/`);
  const json = await (await fetch(`${fake.url}/_fakefiles/`)).json();
  assert.equal(json.console, `${fake.url}/_fakefiles/ui/`);
  const page = await fetch(`${fake.url}/_fakefiles/ui/`);
  assert.match(page.headers.get("content-security-policy"), /frame-ancestors 'none'/);
  assert.equal((await fetch(`${fake.url}/_fakefiles/ui/..%2Fadmin.py`)).status, 404);
});

test("every vendor and orq project is listed with its fixture files", async () => {
  const { vendors } = await fake.control("GET", "/vendors");
  // The console builds its list from the control API: nothing vendor-specific in the test.
  for (const vendor of vendors) {
    for (const ns of vendor.namespaces) {
      await page.waitForSelector(`.nav-link[data-ns="${ns.namespace}"]`, WAIT);
    }
  }
  const orqProjects = vendors.find((v) => v.name === "orq").namespaces.filter((n) => n.files);
  assert.equal(orqProjects.length, 2); // both projects of fixtures/default.yaml

  for (const vendor of vendors) {
    const ns = vendor.namespaces[0];
    await view(`#/files/${ns.namespace}`);
    await page.waitForFunction((n) => document.querySelectorAll("table.files tbody tr").length === n,
      ns.files, WAIT);
  }
  await view("#/files/openai");
  await page.waitForSelector('tr[data-id="file-invoice2026"]', WAIT);
  // Read in one go: polling may replace the table between two separate reads.
  const cells = await page.$$eval('tr[data-id="file-invoice2026"] td', (tds) => tds.map((td) => td.innerText));
  assert.match(cells[0], /invoice-2026-001\.pdf/);
  assert.equal(cells[1], "file-invoice2026");
  assert.equal(cells[2], "2.0 KB");
  assert.equal(cells[3], "assistants");
  assert.equal(cells[4], "2026-01-05 09:30");
  assert.equal(cells[5], "never");
  await shot("1-files");
});

test("preview: text, JSON lines, an image and a PDF", async () => {
  await view("#/files/openai");
  await page.click('tr[data-id="file-refundpolicy"]');
  await page.waitForSelector("#preview pre", WAIT);
  assert.match(await page.locator("#preview pre").innerText(), /^# Refund policy/);

  const { files } = await fake.control("GET", "/files?namespace=openai");
  const byName = (name) => files.find((f) => f.filename === name).id;
  await page.click(`tr[data-id="${byName("whiteboard.png")}"]`);
  await page.waitForFunction(() => document.querySelector("#preview img")?.naturalWidth > 0, null, WAIT);

  await page.click('tr[data-id="file-invoice2026"]');
  await page.waitForSelector('#preview iframe[src^="blob:"]', WAIT);

  await page.click(`tr[data-id="${byName("batch-requests.jsonl")}"]`);
  await page.waitForFunction(() => document.querySelectorAll("#preview .jsonl-line").length === 2, null, WAIT);
  assert.match(await page.locator("#preview .jsonl-line").first().innerText(), /"custom_id": "request-1"/);
  const file = await shot("2-preview");
  if (process.env.FAKEFILES_DOCS === "1") {
    await page.screenshot({ path: path.join(ROOT, "docs", "console.png") });
    console.log(`screenshot: docs/console.png (from ${path.basename(file)})`);
  }
  await page.keyboard.press("Escape");
  await page.waitForSelector("#drawer", { state: "hidden" });
});

test("upload with the file picker into OpenAI", async () => {
  await view("#/files/openai");
  const before = await rowCount("table.files tbody tr");
  await page.selectOption("#upload-purpose", "user_data");
  await page.setInputFiles("#upload-input", {
    name: "from-the-picker.txt", mimeType: "text/plain", buffer: Buffer.from("picked in the console\n"),
  });
  await page.waitForSelector('table.files td.name:has-text("from-the-picker.txt")', WAIT);
  assert.equal(await rowCount("table.files tbody tr"), before + 1);
  const [post] = await fake.requests({ vendor: "openai", method: "POST" });
  assert.equal(post.status, 200);
  assert.match(post.headers.authorization, /^Bearer \S/); // the console sends a key (masked)
  const { files } = await fake.control("GET", "/files?namespace=openai");
  assert.equal(files[0].filename, "from-the-picker.txt");
  assert.equal(files[0].purpose, "user_data");
});

test("upload by drag and drop into every vendor the console lists", async () => {
  const { vendors } = await fake.control("GET", "/vendors");
  // Gemini's upload is two requests (start, then the bytes): the console offers none there.
  assert.deepEqual(vendors.filter((v) => !v.console_upload).map((v) => v.name), ["gemini"]);
  for (const vendor of vendors.filter((v) => v.console_upload)) {
    const ns = vendor.namespaces.find((n) => n.api_key);
    await view(`#/files/${ns.namespace}`);
    await page.waitForSelector("#upload-input", { state: "attached", ...WAIT });
    const name = `dropped-on-${vendor.name}.md`;
    const transfer = await page.evaluateHandle((fileName) => {
      const data = new DataTransfer();
      data.items.add(new File([`# dropped\n${fileName}\n`], fileName, { type: "text/markdown" }));
      return data;
    }, name);
    await page.dispatchEvent("main", "dragenter", { dataTransfer: transfer });
    assert.equal(await page.isVisible("#drop-overlay"), true);
    await page.dispatchEvent("main", "drop", { dataTransfer: transfer });
    await page.waitForSelector(`table.files td.name:has-text("${name}")`, WAIT);
    assert.equal(await page.isVisible("#drop-overlay"), false);
    const posts = await fake.requests({ vendor: vendor.name, method: "POST" });
    assert.ok([200, 201].includes(posts.at(-1).status), `${vendor.name}: ${posts.at(-1).status}`);
  }
});

test("rename where the vendor has it (orq), delete anywhere", async () => {
  const { vendors } = await fake.control("GET", "/vendors");
  const renamable = vendors.filter((v) => v.rename_field);
  assert.ok(renamable.length >= 1);
  for (const vendor of renamable) {
    const ns = vendor.namespaces.find((n) => n.api_key && n.files);
    await view(`#/files/${ns.namespace}`);
    const { files } = await fake.control("GET", `/files?namespace=${ns.namespace}`);
    await page.click(`tr[data-id="${files[0].id}"]`);
    await page.fill('form.rename input[name="name"]', "renamed-in-console.md");
    await page.click('form.rename button[type="submit"]');
    await page.waitForSelector(`tr[data-id="${files[0].id}"] td.name:has-text("renamed-in-console.md")`, WAIT);
    const patch = await fake.requests({ vendor: vendor.name, method: "PATCH" });
    assert.equal(patch.at(-1).status, 200);
    await page.keyboard.press("Escape");
  }
  // OpenAI has no rename: the drawer offers none.
  await view("#/files/openai");
  const { files } = await fake.control("GET", "/files?namespace=openai");
  const target = files.find((f) => f.filename === "from-the-picker.txt");
  await page.click(`tr[data-id="${target.id}"]`);
  await page.waitForSelector("#delete", WAIT);
  assert.equal(await page.locator("form.rename").count(), 0);
  await page.click("#delete");
  await page.click("#confirm-ok");
  await page.waitForSelector(`tr[data-id="${target.id}"]`, { state: "detached", ...WAIT });
  const deletes = await fake.requests({ vendor: "openai", method: "DELETE" });
  assert.deepEqual(deletes.map((r) => [r.path, r.status]), [[`/openai/v1/files/${target.id}`, 200]]);
});

test("add a fault from the form and watch its counter as it fires", async () => {
  await view("#/faults");
  await page.waitForSelector("#fault-form", WAIT);
  await page.selectOption('#fault-form select[name="vendor"]', "openai");
  await page.selectOption('#fault-form select[name="method"]', "GET");
  await page.fill('#fault-form input[name="path"]', "/files");
  await page.fill('#fault-form input[name="status"]', "503");
  await page.fill('#fault-form input[name="times"]', "1");
  await page.click("#add-fault");
  await page.waitForSelector("table.faults tbody tr", WAIT);
  // A second rule that stays: a flaky 429 with Retry-After for VLM Run.
  await page.selectOption('#fault-form select[name="vendor"]', "vlmrun");
  await page.fill('#fault-form input[name="path"]', "/files/*");
  await page.fill('#fault-form input[name="status"]', "429");
  await page.fill('#fault-form input[name="retry_after"]', "2");
  await page.fill('#fault-form input[name="probability"]', "0.25");
  await page.click("#add-fault");
  await page.waitForFunction(() => document.querySelectorAll("table.faults tbody tr").length === 2, null, WAIT);
  assert.equal(await page.locator(".toast.bad").count(), 0);

  const [rule] = (await fake.faults()).filter((f) => f.vendor === "openai");
  assert.deepEqual([rule.method, rule.path, rule.status, rule.times], ["GET", "/files", 503, 1]);
  assert.equal((await vendorFetch("/openai/v1", "/files")).status, 503);
  assert.equal((await vendorFetch("/openai/v1", "/files")).status, 200);
  await page.waitForSelector(`table.faults tr[data-id="${rule.id}"] td.fired:text-is("1")`, WAIT);
  await page.waitForSelector(`table.faults tr[data-id="${rule.id}"] .badge:text-is("retired")`, WAIT);
  assert.equal(await page.locator(`table.faults tr[data-id="${rule.id}"] td.matched`).innerText(), "1");
  await shot("3-faults");
});

test("the journal updates live, filters, and shows a request's detail", async () => {
  await view("#/journal");
  await page.waitForSelector("table.journal tbody tr", WAIT);
  const before = await rowCount("table.journal tbody tr");
  await vendorFetch("/impala/v1", "/files?limit=2");
  await vendorFetch("/orq/v2", "/files/file_doesnotexist");
  await vendorFetch("/vlmrun/v1", "/files?skip=0&limit=5", { headers: { "X-Fakefiles-Fault": "500" } });
  await page.waitForFunction((n) => document.querySelectorAll("table.journal tbody tr").length === n + 3,
    before, WAIT);
  const top = await page.locator("table.journal tbody tr").first().innerText();
  assert.match(top, /VLM Run/);
  assert.match(top, /500/);
  await page.locator("table.journal tbody tr").first().click();
  await page.waitForSelector(".request-detail table.headers", WAIT);
  const detail = await page.locator(".request-detail").innerText();
  assert.match(detail, /x-fakefiles-fault\s+500/);
  assert.match(detail, /authorization\s+Bearer \*\*\*\*/); // keys masked
  await shot("4-journal");
  await page.keyboard.press("Escape");

  await page.selectOption("#filter-status", "5xx");
  const statuses = await page.locator("table.journal tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.status));
  assert.ok(statuses.length >= 2 && statuses.every((s) => s.startsWith("5")), statuses.join());
  await page.selectOption("#filter-status", "");
  await page.selectOption("#filter-vendor", "impala");
  const vendorsShown = await page.locator("table.journal tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.vendor));
  assert.ok(vendorsShown.length >= 1 && vendorsShown.every((v) => v === "impala"), vendorsShown.join());
  await page.selectOption("#filter-vendor", "");
  await page.selectOption("#filter-method", "DELETE");
  const methods = await page.locator("table.journal td .method").allInnerTexts();
  assert.ok(methods.length >= 1 && methods.every((m) => m === "DELETE"), methods.join());
  await page.selectOption("#filter-method", "");
});

test("advance the clock and watch a file expire", async () => {
  // An OpenAI batch upload expires after 30 days.
  const form = new FormData();
  form.append("purpose", "batch");
  form.append("file", new File(['{"custom_id": "x"}\n'], "expires-soon.jsonl"));
  const created = await (await vendorFetch("/openai/v1", "/files", { method: "POST", body: form })).json();
  assert.ok(created.expires_at);

  await view("#/clock");
  await page.waitForSelector(`table.expiring tr[data-id="${created.id}"]`, WAIT);
  assert.match(await page.locator(`table.expiring tr[data-id="${created.id}"]`).innerText(), /in 30 d/);
  await shot("5-clock");
  await page.click('button[data-advance="2592000"]'); // +30 days
  await page.waitForSelector(`table.expiring tr[data-id="${created.id}"]`, { state: "detached", ...WAIT });
  await page.waitForSelector('#clock-pill:has-text("+30d")', WAIT);
  await view("#/files/openai");
  await page.waitForSelector("table.files tbody tr", WAIT);
  assert.equal(await page.locator(`tr[data-id="${created.id}"]`).count(), 0);
  assert.equal((await vendorFetch("/openai/v1", `/files/${created.id}`)).status, 404);

  await view("#/clock");
  await page.click("#freeze");
  await page.waitForSelector('#clock-pill:has-text("frozen")', WAIT);
  await page.click("#real-time");
  await page.waitForSelector('#clock-pill:has-text("real time")', WAIT);
  assert.equal((await fake.control("GET", "/clock")).real, true);
});

test("each SDK's base URL, ready to copy", async () => {
  await view("#/connect");
  const index = await (await fetch(`${fake.url}/`)).json();
  for (const url of Object.values(index.base_urls)) {
    await page.waitForSelector(`.connect-view code:text-is("${url}")`, WAIT);
  }
  await shot("6-connect");
});

test("a dark theme, remembered", async () => {
  await view("#/files/openai");
  await page.waitForSelector("table.files tbody tr", WAIT);
  await page.click("#theme");
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await page.click('tr[data-id="file-refundpolicy"]');
  await page.waitForSelector("#preview pre", WAIT);
  await shot("7-dark");
  await page.reload();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await page.click("#theme");
});

test("reset puts the fixtures back and empties the journal", async () => {
  await page.click("#reset");
  await page.click("#confirm-ok");
  await view("#/files/openai");
  const { total } = await fake.control("GET", "/files?namespace=openai");
  await page.waitForFunction((n) => document.querySelectorAll("table.files tbody tr").length === n, total, WAIT);
  assert.equal(total, 18);
  assert.deepEqual(await fake.requests(), []);
  assert.deepEqual(await fake.faults(), []);
});

test("nothing came from anywhere but the fake, and the page logged no error", () => {
  assert.deepEqual(foreignRequests, []);
  assert.deepEqual(pageErrors, []);
});

test("a control API that answers 401 gets the admin token, kept for the tab", async () => {
  // Stand in for `--admin-token`: refuse control calls without the header.
  await page.route("**/_fakefiles/**", (route) => {
    const request = route.request();
    if (request.url().includes("/_fakefiles/ui/")) return route.continue();
    if (request.headers()["x-fakefiles-admin-token"] === "s3cret") return route.continue();
    return route.fulfill({ status: 401, contentType: "application/json",
      body: JSON.stringify({ error: { message: "admin token required", field: "token" } }) });
  });
  await page.waitForSelector("#token-dialog[open]", WAIT);
  // Cancelled, it does not come back on every poll: the status pill says why, and asks again.
  await page.click('#token-dialog button[value="cancel"]');
  await page.waitForSelector("#live:has-text('admin token needed')", WAIT);
  await page.waitForTimeout(2500);
  assert.equal(await page.locator("#token-dialog[open]").count(), 0);
  await page.click("#live");
  await page.waitForSelector("#token-dialog[open]", WAIT);
  await page.fill("#token-input", "s3cret");
  await page.click("#token-ok");
  await page.waitForFunction(() => sessionStorage.getItem("fakefiles-admin-token") === "s3cret", null, WAIT);
  await page.waitForSelector("#live:has-text('live')", WAIT);
  await page.unroute("**/_fakefiles/**");
});
