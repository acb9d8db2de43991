// The offline-frontend round trip, in plain browser JavaScript (no build step).
// Every step records what the page could see; the test asserts on the JSON in #result.
"use strict";

const BASE = (new URLSearchParams(location.search).get("base") || "http://localhost:8000")
  .replace(/\/+$/, "");
const AUTH = { Authorization: "Bearer sk-browser-test" };
// Every byte value, so a download that mangles binary data shows.
const PAYLOAD = Uint8Array.from({ length: 256 }, (_, i) => i);

function toBase64(bytes) {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

async function readBody(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function download(url, init) {
  const response = await fetch(url, init);
  const bytes = new Uint8Array(await response.arrayBuffer());
  return {
    status: response.status,
    base64: toBase64(bytes),
    matches: bytes.length === PAYLOAD.length && bytes.every((b, i) => b === PAYLOAD[i]),
    contentDisposition: response.headers.get("Content-Disposition"),
    requestId: response.headers.get("X-Request-Id"),
  };
}

async function openai(result) {
  const form = new FormData();
  form.append("purpose", "vision");  // assistants and user_data files cannot be downloaded
  form.append("file", new Blob([PAYLOAD], { type: "application/octet-stream" }), "bytes.bin");
  const upload = await fetch(`${BASE}/openai/v1/files`, { method: "POST", headers: AUTH, body: form });
  const file = await readBody(upload);
  result.openaiUpload = { status: upload.status, body: file };

  const list = await fetch(`${BASE}/openai/v1/files?purpose=vision`, { headers: AUTH });
  const listed = await readBody(list);
  result.openaiList = { status: list.status, ids: (listed.data || []).map((f) => f.id) };

  result.openaiDownload = await download(`${BASE}/openai/v1/files/${file.id}/content`,
    { headers: AUTH });
}

async function vlmrun(result) {
  const form = new FormData();  // VLM Run: one part named "file", the purpose in the query
  form.append("file", new Blob([PAYLOAD]), "scan.bin");
  const upload = await fetch(`${BASE}/vlmrun/v1/files?purpose=assistants`,
    { method: "POST", headers: AUTH, body: form });
  const file = await readBody(upload);
  result.vlmrunUpload = { status: upload.status, body: file };

  // The signed link comes with the file object (GET always makes one); it is fetched with
  // no Authorization header at all, as an <img src> would.
  const get = await fetch(`${BASE}/vlmrun/v1/files/${file.id}`, { headers: AUTH });
  const current = await readBody(get);
  result.vlmrunGet = { status: get.status, publicUrl: current.public_url };
  result.vlmrunPublic = await download(file.public_url || current.public_url);
}

async function fault(result) {
  const response = await fetch(`${BASE}/openai/v1/files`,
    { headers: { ...AUTH, "X-Fakefiles-Fault": "503" } });
  result.fault = {
    status: response.status,
    requestId: response.headers.get("X-Request-Id"),
    body: await readBody(response),
  };
}

// What a hostile page would try against the control API: the issue-12 attacks, as requests a
// browser sends unasked (no-cors, text/plain or a form: the answer stays hidden) and as one
// that needs a preflight (a YAML type), which the control API does not answer. None may
// change anything; the test checks the fake afterwards.
const LEAK = "openai: {files: [{id: file-leak, filename: x, purpose: assistants, " +
  "content_path: /etc/passwd}]}";
const GRANT = "orq: {projects: [{project_id: proj_01JGRTKM006CW62Y816HKPP6V9, " +
  "api_keys: [attacker]}]}";

async function attempt(path, init) {
  try {
    const response = await fetch(`${BASE}${path}`, init);
    return { type: response.type, status: response.status };
  } catch (err) {  // a refused preflight, or an unreadable answer
    return { error: String(err) };
  }
}

async function hostile(result) {
  const seen = {};
  for (const [name, body] of [["leak", LEAK], ["grant", GRANT]]) {
    seen[name] = {
      plain: await attempt("/_fakefiles/fixtures",
        { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" }, body }),
      form: await attempt("/_fakefiles/fixtures",
        { method: "POST", mode: "no-cors", body: new URLSearchParams({ body }) }),
      yaml: await attempt("/_fakefiles/fixtures",
        { method: "POST", headers: { "Content-Type": "application/yaml" }, body }),
    };
  }
  seen.reset = await attempt("/_fakefiles/reset", { method: "POST", mode: "no-cors" });
  seen.readState = await attempt("/_fakefiles/state", {});
  const leak = await fetch(`${BASE}/openai/v1/files/file-leak/content`, { headers: AUTH });
  seen.leakStatus = leak.status;
  result.hostile = seen;
}

async function main() {
  const result = { origin: location.origin, base: BASE, errors: {} };
  const steps = { openai, vlmrun, fault, hostile };
  if (typeof window.readmeExample === "function") steps.readme = async (r) => {
    r.readme = await window.readmeExample(BASE);
  };
  for (const [name, step] of Object.entries(steps)) {
    try {
      await step(result);
    } catch (err) {  // a CORS refusal surfaces here as "TypeError: Failed to fetch"
      result.errors[name] = String(err);
    }
  }
  result.done = true;
  document.getElementById("result").textContent = JSON.stringify(result, null, 2);
}

main();
