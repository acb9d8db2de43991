// fakefiles console: plain JavaScript, no build step, nothing fetched from elsewhere.
// Reads the control API under /_fakefiles/ (the admin token, when the fake has one, goes in
// X-Fakefiles-Admin-Token) and acts on files through each vendor's own API with an API key.
// Views live in the URL hash: #/files/<namespace>, #/journal, #/faults, #/clock, #/connect.
"use strict";

const CONTROL = new URL("..", location.href).pathname.replace(/\/$/, ""); // "/_fakefiles"
const TOKEN_KEY = "fakefiles-admin-token";
const PREVIEW_LIMIT = 4 * 1024 * 1024; // bytes fetched for a preview
const TEXT_LIMIT = 256 * 1024; // characters of text shown
const POLL_MS = 1000;

const state = {
  vendors: [], // from GET /_fakefiles/vendors
  baseUrls: {}, // prefix -> SDK base URL, from GET /
  clock: null, // {now, epoch, real, frozen} and when we read it
  clockReadAt: 0,
  files: [], // the current namespace's files
  filesKey: "",
  journal: [],
  journalSeen: new Set(),
  faults: [],
  selected: null, // {kind: "file" | "request", id}
  journalFilter: { vendor: "", method: "", status: "", path: "" },
  paused: false,
  online: true,
};

// -- small helpers ----------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const $ = (selector) => document.querySelector(selector);

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

function utc(epoch, seconds = false) {
  if (epoch === null || epoch === undefined) return "—";
  const iso = new Date(epoch * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, seconds ? 19 : 16)}`;
}

function fakeNow() {
  if (!state.clock) return Date.now() / 1000;
  if (state.clock.frozen) return state.clock.epoch;
  return state.clock.epoch + (performance.now() - state.clockReadAt) / 1000;
}

function relative(epoch) {
  const delta = epoch - fakeNow();
  const abs = Math.abs(delta);
  const [value, unit] = abs < 90 ? [abs, "s"] : abs < 5400 ? [abs / 60, "min"]
    : abs < 129600 ? [abs / 3600, "h"] : [abs / 86400, "d"];
  const text = `${Math.round(value)} ${unit}`;
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

function toast(message, bad = false) {
  const el = h("div", { class: bad ? "toast bad" : "toast", role: "status" }, message);
  $("#toasts").append(el);
  setTimeout(() => el.remove(), bad ? 7000 : 3500);
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Clipboard API needs a secure context; http://127.0.0.1 is one, a LAN address is not.
    const area = h("textarea", {}, text);
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  toast(`Copied ${text}`);
}

function confirmDialog(text, okLabel = "Confirm") {
  const dialog = $("#confirm-dialog");
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

// -- talking to the fake ------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, body) {
    super(messageOf(body) || `HTTP ${status}`);
    this.status = status;
  }
}

function messageOf(body) {
  if (!body || typeof body !== "object") return typeof body === "string" ? body : "";
  const error = body.error;
  if (error && typeof error === "object") return error.message || "";
  if (typeof body.detail === "string") return body.detail;
  if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg).join("; ");
  return body.message || "";
}

let tokenDeclined = false; // the user cancelled: no new prompt until they click the status pill

function askToken() {
  if (tokenDeclined) return Promise.resolve(false);
  const dialog = $("#token-dialog");
  if (dialog.open) return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
  $("#token-input").value = sessionStorage.getItem(TOKEN_KEY) || "";
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "ok") sessionStorage.setItem(TOKEN_KEY, $("#token-input").value);
      else tokenDeclined = true;
      resolve(dialog.returnValue === "ok");
    }, { once: true });
  });
}

// A 401, or a 403 that names the token header (not one for a foreign Host or Origin).
async function wantsToken(response) {
  if (response.status === 401) return true;
  if (response.status !== 403) return false;
  const body = await response.clone().json().catch(() => null);
  return String(body?.error?.field || "").toLowerCase() === "x-fakefiles-admin-token";
}

// A control call. Every one sends Content-Type: application/json (a body of {} when there is
// nothing to say), so none is a "simple" cross-origin request; a 401/403 asks for the token.
async function controlFetch(method, path, body) {
  for (;;) {
    const headers = { "Content-Type": "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers["X-Fakefiles-Admin-Token"] = token;
    const response = await fetch(CONTROL + path, {
      method, headers, body: method === "GET" ? undefined : JSON.stringify(body ?? {}),
    });
    state.locked = await wantsToken(response);
    if (state.locked && await askToken()) continue;
    return response;
  }
}

// Bumped by every change the console makes (and every change of view): a poll that started
// before one is stale.
let changes = 0;

async function control(method, path, body) {
  if (method !== "GET") changes++;
  const response = await controlFetch(method, path, body);
  const json = await response.json().catch(() => null);
  if (!response.ok) throw new HttpError(response.status, json);
  return json;
}

function vendorOf(name) {
  return state.vendors.find((v) => v.name === name);
}

function namespaceOf(name) {
  for (const vendor of state.vendors) {
    const ns = vendor.namespaces.find((n) => n.namespace === name);
    if (ns) return { vendor, ns };
  }
  return null;
}

// A call to a vendor's own API, with the key that selects the namespace (orq: the project).
async function vendorCall(vendor, ns, method, path, { body, json, query } = {}) {
  const url = new URL(vendor.prefix + path, location.origin);
  for (const [key, value] of Object.entries(query || {})) url.searchParams.set(key, value);
  const headers = { Authorization: `Bearer ${ns.api_key}` };
  if (method !== "GET") changes++;
  if (json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method, headers, body: json !== undefined ? JSON.stringify(json) : body,
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new HttpError(response.status, data);
  return data;
}

// -- polling ------------------------------------------------------------------------------

// One poll: read what the current view shows, then apply it all at once, unless a change
// was made meanwhile (its own poll, started after it, brings the newer state).
async function tick() {
  const started = changes;
  const view = route();
  try {
    const [vendors, index, clock, files, journal, faults, expiring] = await Promise.all([
      control("GET", "/vendors"),
      Object.keys(state.baseUrls).length ? null : fetch("/").then((r) => r.json()),
      control("GET", "/clock"),
      view.name === "files" && view.namespace
        ? control("GET", `/files?namespace=${encodeURIComponent(view.namespace)}`) : null,
      view.name === "journal" && !state.paused ? control("GET", "/requests") : null,
      control("GET", "/faults"), // the sidebar counts the active rules
      view.name === "clock" ? control("GET", "/files?expiring=true&limit=12") : null,
    ]);
    if (started !== changes) return;
    state.vendors = vendors.vendors;
    if (index) state.baseUrls = index.base_urls;
    state.clock = clock;
    state.clockReadAt = performance.now();
    if (files) Object.assign(state, { files: files.files, filesTotal: files.total, filesKey: files.namespace });
    if (journal) state.journal = journal.requests;
    state.faults = faults.faults;
    if (expiring) state.expiring = expiring.files;
    state.online = true;
  } catch (error) {
    state.online = false;
    console.warn("fakefiles console:", error);
  }
  render();
}

let timer = null;
function schedule() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    if (!document.hidden) await tick();
    schedule();
  }, POLL_MS);
}

// -- routing ------------------------------------------------------------------------------

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const name = parts[0] || "files";
  if (name === "files") {
    const namespace = parts.slice(1).join("/") || state.vendors[0]?.namespaces[0]?.namespace;
    return { name, namespace };
  }
  return { name };
}

function go(hash) {
  if (location.hash === hash) onRoute();
  else location.hash = hash;
}

async function onRoute() {
  state.selected = null;
  changes++; // a poll started for the previous view is of no use now
  await tick();
  $("#main").focus();
}

// -- rendering ----------------------------------------------------------------------------

function render() {
  renderTop();
  renderNav();
  const view = route();
  const main = $("#main");
  const scroll = main.scrollTop;
  const focused = document.activeElement?.id;
  const renderers = { files: renderFiles, journal: renderJournal, faults: renderFaults,
                      clock: renderClock, connect: renderConnect };
  // A view with a form (class "keep") keeps it, and what the user typed in it: polling
  // replaces only the parts marked data-live.
  const key = `${view.name}:${view.namespace || ""}`;
  const fresh = (renderers[view.name] || renderFiles)(view);
  const oldLive = main.querySelectorAll("[data-live]");
  const newLive = fresh.querySelectorAll("[data-live]");
  if (main.dataset.view === key && main.querySelector("form.keep") && oldLive.length === newLive.length) {
    oldLive.forEach((el, i) => el.replaceWith(newLive[i]));
  } else {
    main.replaceChildren(fresh);
    main.dataset.view = key;
  }
  main.scrollTop = scroll;
  if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  renderDrawer();
}

function renderTop() {
  const pill = $("#clock-pill");
  if (state.clock) {
    const offset = fakeNow() - Date.now() / 1000;
    let mode = "real time";
    if (state.clock.frozen) mode = "frozen";
    else if (!state.clock.real) mode = `${offset >= 0 ? "+" : "−"}${formatDuration(Math.abs(offset))}`;
    pill.textContent = `${utc(fakeNow(), true)} UTC · ${mode}`;
    pill.classList.toggle("shifted", !state.clock.real);
  }
  const live = $("#live");
  live.textContent = state.locked ? "admin token needed" : !state.online ? "offline"
    : state.paused ? "paused" : "live";
  live.className = `pill live${state.online ? "" : " down"}${state.paused ? " paused" : ""}`;
}

function formatDuration(seconds) {
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

function renderNav() {
  const view = route();
  const hash = location.hash || "#/files";
  const link = (href, label, count, extra = "") => h("a", {
    class: `nav-link${extra}${hash === href || (view.name === "files" && href === `#/files/${view.namespace}`) ? " active" : ""}`,
    href,
  }, h("span", {}, label), count === undefined ? null : h("span", { class: "count" }, count));
  const items = [h("div", { class: "nav-title" }, "Files")];
  for (const vendor of state.vendors) {
    const total = vendor.namespaces.reduce((sum, ns) => sum + ns.files, 0);
    if (vendor.namespaces.length === 1 && !vendor.namespaces[0].project) {
      const ns = vendor.namespaces[0];
      items.push(link(`#/files/${ns.namespace}`, vendor.title, ns.files));
      items.at(-1).dataset.ns = ns.namespace;
    } else {
      items.push(h("div", { class: "nav-vendor" }, vendor.title, h("span", { class: "count" }, total)));
      for (const ns of vendor.namespaces) {
        const label = ns.console ? [shortId(ns.project), h("span", { class: "tag" }, "console")] : shortId(ns.project);
        const a = link(`#/files/${ns.namespace}`, label, ns.files, " sub");
        a.dataset.ns = ns.namespace;
        a.title = ns.project + (ns.api_key ? ` (key ${ns.api_key})` : " (no key known: view only)");
        items.push(a);
      }
    }
  }
  const faults = state.faults.filter((f) => !f.retired).length;
  items.push(h("div", { class: "nav-title" }, "Observe and control"),
    link("#/journal", "Request journal", undefined),
    link("#/faults", "Faults", faults ? faults : undefined),
    link("#/clock", "Clock", undefined),
    link("#/connect", "Connect an SDK", undefined));
  $("#nav").replaceChildren(...items);
}

function shortId(id) {
  return id && id.length > 16 ? `${id.slice(0, 9)}…${id.slice(-4)}` : id;
}

// -- files --------------------------------------------------------------------------------

function renderFiles(view) {
  const found = view.namespace && namespaceOf(view.namespace);
  if (!found) return h("div", { class: "empty" }, state.vendors.length ? "No such vendor or project." : "Loading…");
  const { vendor, ns } = found;
  const filter = $("#file-filter")?.value || "";
  const shown = state.filesKey === ns.namespace ? state.files.filter((f) =>
    !filter || `${f.filename} ${f.id} ${f.purpose}`.toLowerCase().includes(filter.toLowerCase())) : [];
  const purposeSelect = h("select", { id: "upload-purpose", title: "Purpose of uploaded files" },
    vendor.upload_purposes.map((p) => h("option", { value: p }, p)));
  const previous = $("#upload-purpose")?.value;
  if (previous && vendor.upload_purposes.includes(previous)) purposeSelect.value = previous;
  const picker = h("input", { type: "file", id: "upload-input", multiple: true, hidden: true,
    onchange: (event) => upload(vendor, ns, [...event.target.files]) });
  const canWrite = Boolean(ns.api_key);
  return h("div", { class: "files-view" },
    h("div", { class: "view-head", "data-live": "" },
      h("div", {},
        h("h1", {}, vendor.title, ns.project ? h("span", { class: "muted" }, ` / ${ns.project}`) : null),
        h("div", { class: "sub" },
          h("span", {}, `${ns.files} files · ${formatBytes(ns.bytes)}`),
          h("code", {}, vendor.base_url),
          h("button", { class: "small ghost", type: "button", onclick: () => copy(vendor.base_url) }, "Copy base URL"),
          ns.project ? h("span", {}, canWrite ? `key ${ns.api_key}` : "no key known: view only") : null))),
    h("form", { class: "toolbar keep", onsubmit: (e) => e.preventDefault() },
      h("input", { id: "file-filter", type: "search", placeholder: "Filter by name, id or purpose",
        value: filter, oninput: () => render(), size: 32 }),
      h("span", { class: "spacer" }),
      canWrite ? h("span", { class: "dropzone-hint", title: "Drop files anywhere on the page to upload them" }, "Drop files or upload as") : null,
      canWrite ? purposeSelect : null,
      canWrite ? h("button", { class: "primary", type: "button", id: "upload-button",
        onclick: () => picker.click() }, "Upload files…") : null,
      picker),
    h("div", { "data-live": "" }, fileTable(vendor, ns, shown)));
}

function fileTable(vendor, ns, files) {
  if (state.filesKey !== ns.namespace) return h("div", { class: "table-wrap" }, h("div", { class: "empty" }, "Loading…"));
  if (!files.length) {
    return h("div", { class: "table-wrap" }, h("div", { class: "empty" },
      state.files.length ? "No file matches the filter." : "No files yet. Upload some, or load fixtures."));
  }
  const rows = files.map((f) => h("tr", {
    class: `clickable${state.selected?.id === f.id ? " selected" : ""}`, dataset: { id: f.id },
    onclick: () => { state.selected = { kind: "file", id: f.id, namespace: ns.namespace }; render(); },
  },
  h("td", { class: "name", title: f.filename }, h("span", { class: "file-icon" }, extension(f.filename)), f.filename),
  h("td", { class: "id mono" }, f.id),
  h("td", { class: "num" }, formatBytes(f.bytes)),
  h("td", {}, h("span", { class: "badge" }, f.purpose)),
  h("td", { title: utc(f.created_at, true) + " UTC" }, utc(f.created_at)),
  h("td", { title: f.expires_at ? utc(f.expires_at, true) + " UTC" : "never" },
    f.expires_at ? h("span", { class: f.expires_at - fakeNow() < 86400 ? "badge warn" : "" }, relative(f.expires_at)) : h("span", { class: "muted" }, "never"))));
  const more = state.filesTotal > files.length && !$("#file-filter")?.value
    ? h("div", { class: "empty" }, `Showing the newest ${files.length} of ${state.filesTotal}.`) : null;
  return h("div", { class: "table-wrap" }, h("table", { class: "files" },
    h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", { class: "id" }, "ID"), h("th", { class: "num" }, "Size"),
      h("th", {}, "Purpose"), h("th", {}, "Created (UTC)"), h("th", {}, "Expires"))),
    h("tbody", {}, rows)), more);
}

function extension(name) {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1, dot + 6) : "";
}

async function upload(vendor, ns, files) {
  if (!files.length) return;
  if (!ns.api_key) { toast("No API key is known for this project: uploads go elsewhere.", true); return; }
  if (!vendor.console_upload) { toast(`${vendor.title}: upload through its SDK (the console sends one multipart POST).`, true); return; }
  const purpose = $("#upload-purpose")?.value || vendor.upload_purposes[0];
  for (const file of files) {
    const form = new FormData();
    if (purpose && !vendor.purpose_in_query) form.append("purpose", purpose);
    form.append("file", file, file.name);
    try {
      await vendorCall(vendor, ns, "POST", "/files", {
        body: form, query: vendor.purpose_in_query ? { purpose } : undefined,
      });
      toast(`Uploaded ${file.name} to ${vendor.title}`);
    } catch (error) {
      toast(`${file.name}: ${error.status || ""} ${error.message}`, true);
    }
  }
  const input = $("#upload-input");
  if (input) input.value = "";
  await tick();
}

// Drag and drop anywhere while a files view is open.
let dragDepth = 0;
function droppable() {
  const view = route();
  const found = view.name === "files" && view.namespace && namespaceOf(view.namespace);
  return found && found.ns.api_key ? found : null;
}
window.addEventListener("dragenter", (event) => {
  if (!droppable() || !event.dataTransfer?.types.includes("Files")) return;
  event.preventDefault();
  dragDepth++;
  $("#drop-overlay").hidden = false;
});
window.addEventListener("dragover", (event) => { if (droppable()) event.preventDefault(); });
window.addEventListener("dragleave", () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) $("#drop-overlay").hidden = true;
});
window.addEventListener("drop", (event) => {
  const found = droppable();
  dragDepth = 0;
  $("#drop-overlay").hidden = true;
  if (!found) return;
  event.preventDefault();
  upload(found.vendor, found.ns, [...event.dataTransfer.files]);
});

// -- the drawer: a file's detail and preview, or a request's ------------------------------

let drawnFor = "";
let objectUrl = null;

function renderDrawer() {
  const drawer = $("#drawer");
  const selected = state.selected;
  const key = selected ? `${selected.kind}:${selected.namespace || ""}:${selected.id}` : "";
  document.querySelector(".layout").classList.toggle("drawer-open", Boolean(selected));
  if (!selected) {
    drawer.hidden = true;
    drawnFor = "";
    return;
  }
  if (key === drawnFor) return; // already drawn: keep the preview and any rename in progress
  drawnFor = key;
  drawer.hidden = false;
  if (selected.kind === "request") drawer.replaceChildren(requestDetail(selected.id));
  else drawer.replaceChildren(fileDetail(selected));
}

function closeDrawer() {
  state.selected = null;
  render();
}

function drawerHead(title) {
  return h("div", { class: "drawer-head" }, h("h2", {}, title),
    h("button", { class: "ghost small", type: "button", title: "Close", onclick: closeDrawer }, "✕"));
}

function fileDetail(selected) {
  const file = state.files.find((f) => f.id === selected.id);
  const found = namespaceOf(selected.namespace);
  if (!file || !found) return h("div", {}, drawerHead("Gone"), h("p", { class: "muted" }, "This file no longer exists."));
  const { vendor, ns } = found;
  const preview = h("div", { class: "preview", id: "preview" }, h("div", { class: "note" }, "Loading preview…"));
  const download = h("a", { class: "button", download: file.filename, href: "#", id: "download" }, "Download");
  const renameBox = vendor.rename_field && ns.api_key ? h("form", { class: "rename", onsubmit: async (event) => {
    event.preventDefault();
    const name = event.target.elements.name.value.trim();
    try {
      await vendorCall(vendor, ns, "PATCH", `/files/${encodeURIComponent(file.id)}`, { json: { [vendor.rename_field]: name } });
      toast(`Renamed to ${name}`);
      drawnFor = "";
      await tick();
    } catch (error) { toast(`Rename: ${error.message}`, true); }
  } }, h("input", { name: "name", value: file.filename, "aria-label": "New name" }),
  h("button", { type: "submit" }, "Rename")) : null;
  const remove = ns.api_key ? h("button", { class: "danger-outline", type: "button", id: "delete", onclick: async () => {
    if (!await confirmDialog(`Delete ${file.filename} (${file.id}) from ${vendor.title}?`, "Delete")) return;
    try {
      await vendorCall(vendor, ns, "DELETE", `/files/${encodeURIComponent(file.id)}`);
      toast(`Deleted ${file.filename}`);
      state.selected = null;
      await tick();
    } catch (error) { toast(`Delete: ${error.message}`, true); }
  } }, "Delete") : null;
  loadPreview(file, ns, preview, download);
  return h("div", { class: "file-detail" },
    drawerHead(file.filename),
    h("dl", { class: "meta" },
      h("dt", {}, "ID"), h("dd", { class: "mono" }, file.id, " ", h("button", { class: "ghost small", type: "button", onclick: () => copy(file.id) }, "Copy")),
      h("dt", {}, "Vendor"), h("dd", {}, vendor.title, ns.project ? ` / ${ns.project}` : ""),
      h("dt", {}, "Size"), h("dd", {}, `${formatBytes(file.bytes)} (${file.bytes.toLocaleString("en")} bytes)`),
      h("dt", {}, "Purpose"), h("dd", {}, file.purpose),
      h("dt", {}, "Type"), h("dd", {}, file.content_type),
      h("dt", {}, "Created"), h("dd", {}, `${utc(file.created_at, true)} UTC (${relative(file.created_at)})`),
      h("dt", {}, "Expires"), h("dd", {}, file.expires_at ? `${utc(file.expires_at, true)} UTC (${relative(file.expires_at)})` : "never"),
      h("dt", {}, "MD5"), h("dd", { class: "mono" }, file.md5)),
    renameBox,
    h("div", { class: "actions" }, download, remove),
    h("h2", {}, "Preview"), preview);
}

async function loadPreview(file, ns, box, download) {
  if (objectUrl) URL.revokeObjectURL(objectUrl);
  objectUrl = null;
  try {
    const response = await controlFetch("GET", `/files/content?namespace=${encodeURIComponent(ns.namespace)}&id=${encodeURIComponent(file.id)}`);
    if (!response.ok) throw new HttpError(response.status, await response.json().catch(() => null));
    const bytes = new Uint8Array(await response.arrayBuffer());
    const kind = previewKind(file, bytes);
    const type = kind === "pdf" ? "application/pdf" : kind === "image" ? file.content_type : "application/octet-stream";
    objectUrl = URL.createObjectURL(new Blob([bytes], { type }));
    download.href = objectUrl;
    box.replaceChildren(...[renderPreview(kind, bytes, file)].flat());
  } catch (error) {
    box.replaceChildren(h("div", { class: "note" }, `No preview: ${error.message}`));
  }
}

function previewKind(file, bytes) {
  const name = file.filename.toLowerCase();
  const type = file.content_type || "";
  if (type.startsWith("image/") && type !== "image/svg+xml") return "image";
  if (type === "application/pdf" || name.endsWith(".pdf")) return "pdf";
  if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || type.includes("jsonl")) return "jsonl";
  if (name.endsWith(".json") || type === "application/json") return "json";
  const head = bytes.subarray(0, 4096);
  if (head.includes(0)) return "binary";
  try { new TextDecoder("utf-8", { fatal: true }).decode(head.subarray(0, head.length - 4)); return "text"; } catch { return "binary"; }
}

function renderPreview(kind, bytes, file) {
  if (file.bytes > PREVIEW_LIMIT && kind !== "image" && kind !== "pdf") {
    bytes = bytes.subarray(0, PREVIEW_LIMIT);
  }
  if (kind === "image") {
    // Scaled to the panel (small ones too), with the real size underneath.
    const size = h("div", { class: "note" });
    return [h("img", { src: objectUrl, alt: file.filename,
      onload: (event) => { size.textContent = `${event.target.naturalWidth} × ${event.target.naturalHeight} px`; } }), size];
  }
  if (kind === "pdf") return h("iframe", { src: objectUrl, title: file.filename });
  const text = new TextDecoder().decode(bytes.subarray(0, TEXT_LIMIT * 2)).slice(0, TEXT_LIMIT);
  if (kind === "jsonl") {
    const lines = text.split("\n").filter((line) => line.trim()).slice(0, 200);
    return h("div", { class: "jsonl" }, lines.map((line, i) => h("div", { class: "jsonl-line" },
      h("span", { class: "ln" }, i + 1), h("pre", {}, prettyJson(line)))));
  }
  if (kind === "json") return h("pre", {}, prettyJson(text));
  if (kind === "text") return h("pre", {}, text);
  return h("pre", {}, hexdump(bytes.subarray(0, 512)));
}

function prettyJson(text) {
  let value;
  try { value = JSON.parse(text); } catch { return h("span", { class: "bad-line" }, text); }
  const out = [];
  const pretty = JSON.stringify(value, null, 2);
  // Colour keys, strings and numbers; built as text nodes, never as HTML.
  const token = /("(?:\\.|[^"\\])*")(\s*:)?|\b(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|true|false|null)\b/gi;
  let last = 0;
  for (const match of pretty.matchAll(token)) {
    out.push(pretty.slice(last, match.index));
    if (match[1]) out.push(h("span", { class: match[2] ? "k" : "s" }, match[1]), match[2] || "");
    else out.push(h("span", { class: "n" }, match[3]));
    last = match.index + match[0].length;
  }
  out.push(pretty.slice(last));
  return out;
}

function hexdump(bytes) {
  const lines = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = [...bytes.subarray(offset, offset + 16)];
    const hex = row.map((b) => b.toString(16).padStart(2, "0")).join(" ").padEnd(48);
    const ascii = row.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${hex}  ${ascii}`);
  }
  return lines.join("\n");
}

// -- the request journal ----------------------------------------------------------------

function statusClass(status) {
  if (status >= 500 || status === 0 || status === 499) return "bad";
  if (status >= 400) return "warn";
  if (status >= 300) return "info";
  return "ok";
}

function journalMatches(entry) {
  const f = state.journalFilter;
  if (f.vendor && entry.vendor !== f.vendor) return false;
  if (f.method && entry.method !== f.method) return false;
  if (f.status === "fault" && !entry.fault_id) return false;
  if (f.status && f.status !== "fault" && String(entry.status)[0] !== f.status[0]) return false;
  if (f.path && !`${entry.path}?${entry.query}`.toLowerCase().includes(f.path.toLowerCase())) return false;
  return true;
}

function renderJournal() {
  const f = state.journalFilter;
  const setFilter = (name) => (event) => { f[name] = event.target.value; render(); };
  const select = (name, label, options) => h("label", { class: "field" }, label,
    h("select", { id: `filter-${name}`, onchange: setFilter(name) },
      options.map(([value, text]) => h("option", { value, selected: f[name] === value }, text))));
  const vendors = [["", "All vendors"], ...state.vendors.map((v) => [v.name, v.title])];
  const methods = [["", "All methods"], ...["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => [m, m])];
  const statuses = [["", "All statuses"], ["2xx", "2xx"], ["3xx", "3xx"], ["4xx", "4xx"], ["5xx", "5xx"], ["fault", "Injected faults"]];
  return h("div", { class: "journal-view" },
    h("div", { class: "view-head" }, h("div", {}, h("h1", {}, "Request journal"),
      h("div", { class: "sub" }, "Every vendor call the fake answered, newest first; keys are masked."))),
    h("form", { class: "toolbar keep", onsubmit: (e) => e.preventDefault() },
      select("vendor", "Vendor", vendors), select("method", "Method", methods),
      select("status", "Status", statuses),
      h("label", { class: "field" }, "Path contains", h("input", { id: "filter-path", type: "search",
        value: f.path, placeholder: "/files", oninput: setFilter("path") })),
      h("span", { class: "spacer" }),
      h("button", { type: "button", id: "pause", onclick: (event) => {
        state.paused = !state.paused;
        event.target.textContent = state.paused ? "Resume" : "Pause";
        tick();
      } }, state.paused ? "Resume" : "Pause"),
      h("button", { type: "button", class: "danger-outline", id: "clear-journal", onclick: async () => {
        await control("DELETE", "/requests");
        state.journalSeen.clear();
        await tick();
      } }, "Clear")),
    h("div", { "data-live": "" }, journalTable()));
}

function journalTable() {
  const entries = state.journal.filter(journalMatches).reverse();
  const firstLoad = state.journalSeen.size === 0;
  const rows = entries.slice(0, 500).map((e) => {
    const fresh = !firstLoad && !state.journalSeen.has(e.id);
    return h("tr", {
      class: `clickable${fresh ? " fresh" : ""}${state.selected?.id === e.id ? " selected" : ""}`,
      dataset: { id: e.id, status: e.status, vendor: e.vendor },
      onclick: () => { state.selected = { kind: "request", id: e.id }; render(); },
    },
    h("td", { class: "mono muted" }, utc(e.time, true).slice(11)),
    h("td", {}, vendorOf(e.vendor)?.title || e.vendor),
    h("td", {}, h("span", { class: `method m-${e.method}` }, e.method)),
    h("td", { class: "path mono", title: e.path + (e.query ? `?${e.query}` : "") }, e.path, e.query ? h("span", { class: "muted" }, `?${e.query}`) : null),
    h("td", {}, h("span", { class: `badge ${statusClass(e.status)}` }, e.status)),
    h("td", { class: "num" }, `${e.duration_ms.toFixed(1)} ms`),
    h("td", { class: "num" }, e.body_size ? formatBytes(e.body_size) : "—"),
    h("td", {}, e.fault_id ? h("span", { class: "badge bad" }, e.fault_id) : ""));
  });
  for (const e of state.journal) state.journalSeen.add(e.id);
  if (!rows.length) {
    return h("div", { class: "table-wrap" }, h("div", { class: "empty" },
      state.journal.length ? "No request matches the filters." : "No requests yet. Point an SDK at the fake (see Connect an SDK)."));
  }
  return h("div", { class: "table-wrap" }, h("table", { class: "journal" },
    h("thead", {}, h("tr", {}, h("th", {}, "Time (UTC)"), h("th", {}, "Vendor"), h("th", {}, "Method"),
      h("th", {}, "Path"), h("th", {}, "Status"), h("th", { class: "num" }, "Duration"),
      h("th", { class: "num" }, "Body"), h("th", {}, "Fault"))),
    h("tbody", {}, rows)));
}

function requestDetail(id) {
  const e = state.journal.find((entry) => entry.id === id);
  if (!e) return h("div", {}, drawerHead("Gone"), h("p", { class: "muted" }, "No longer in the journal."));
  return h("div", { class: "request-detail" },
    drawerHead(`${e.method} ${e.path}`),
    h("dl", { class: "meta" },
      h("dt", {}, "Request id"), h("dd", { class: "mono" }, e.id),
      h("dt", {}, "Time"), h("dd", {}, `${utc(e.time, true)} UTC`),
      h("dt", {}, "Vendor"), h("dd", {}, vendorOf(e.vendor)?.title || e.vendor),
      h("dt", {}, "Query"), h("dd", { class: "mono" }, e.query || "—"),
      h("dt", {}, "Status"), h("dd", {}, h("span", { class: `badge ${statusClass(e.status)}` }, e.status)),
      h("dt", {}, "Duration"), h("dd", {}, `${e.duration_ms} ms`),
      h("dt", {}, "Body size"), h("dd", {}, `${e.body_size.toLocaleString("en")} bytes`),
      h("dt", {}, "Fault"), h("dd", {}, e.fault_id || "none")),
    h("h2", {}, "Headers"),
    h("div", { class: "table-wrap" }, h("table", { class: "headers" }, h("tbody", {},
      Object.entries(e.headers).map(([name, value]) => h("tr", {}, h("td", {}, name), h("td", {}, value)))))));
}

// -- faults -------------------------------------------------------------------------------

function renderFaults() {
  const vendors = [["", "any vendor"], ...state.vendors.map((v) => [v.name, v.title])];
  const methods = [["", "any method"], ...["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => [m, m])];
  const field = (label, input) => h("label", { class: "field" }, label, input);
  const form = h("form", { class: "card pad keep", id: "fault-form", onsubmit: addFault },
    h("h2", {}, "Add a rule"),
    h("div", { class: "form-grid" },
      field("Vendor", h("select", { name: "vendor" }, vendors.map(([v, t]) => h("option", { value: v }, t)))),
      field("Method", h("select", { name: "method" }, methods.map(([v, t]) => h("option", { value: v }, t)))),
      field("Path glob", h("input", { name: "path", placeholder: "/files/*", title: "A glob on the path after the vendor prefix, e.g. /files/*" })),
      field("File id", h("input", { name: "file_id", placeholder: "any" })),
      field("Status", h("input", { name: "status", type: "number", min: 100, max: 599, placeholder: "500" })),
      field("Retry-After (s)", h("input", { name: "retry_after", type: "number", min: 0, placeholder: "—" })),
      field("Delay (ms)", h("input", { name: "delay_ms", type: "number", min: 0, placeholder: "0" })),
      field("Times", h("input", { name: "times", type: "number", min: 1, placeholder: "always" })),
      field("Probability", h("input", { name: "probability", type: "number", min: 0, max: 1, step: "0.05", placeholder: "1" }))),
    h("div", { class: "form-foot" },
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "drop" }), "Drop the connection instead"),
      h("span", { class: "spacer" }),
      h("button", { class: "primary", type: "submit", id: "add-fault" }, "Add rule")));
  return h("div", { class: "faults-view" },
    h("div", { class: "view-head" }, h("div", {}, h("h1", {}, "Faults"),
      h("div", { class: "sub" }, "Rules run before the route: a failed upload stores nothing. One request can also ask for a fault with the X-Fakefiles-Fault header."))),
    form,
    h("div", { class: "gap" }),
    h("div", { "data-live": "" }, faultTable()));
}

async function addFault(event) {
  event.preventDefault();
  const data = new FormData(event.target);
  const rule = {};
  for (const name of ["vendor", "method", "path", "file_id"]) if (data.get(name)) rule[name] = data.get(name);
  for (const name of ["status", "delay_ms", "times"]) if (data.get(name)) rule[name] = Number(data.get(name));
  if (data.get("probability")) rule.probability = Number(data.get("probability"));
  if (data.get("retry_after")) rule.headers = { "Retry-After": data.get("retry_after") };
  if (data.get("drop")) rule.reset = true; // a field named "reset" would hide form.reset()
  try {
    const created = await control("POST", "/faults", rule);
    toast(`Added fault ${created.ids[0]}`);
    event.target.reset();
    await tick();
  } catch (error) { toast(`Fault: ${error.message}`, true); }
}

function faultTable() {
  if (!state.faults.length) {
    return h("div", { class: "table-wrap" }, h("div", { class: "empty" }, "No fault rules. Every request gets its normal answer."));
  }
  const rows = state.faults.map((f) => {
    const match = [f.vendor ? vendorOf(f.vendor)?.title || f.vendor : "any vendor", f.method || "any method",
      f.path || "any path", f.file_id ? `file ${f.file_id}` : null].filter(Boolean).join(" · ");
    const effect = [f.reset ? "drop connection" : f.status ? `HTTP ${f.status}` : null,
      f.delay_ms ? `+${f.delay_ms} ms` : null,
      ...Object.entries(f.headers || {}).map(([k, v]) => `${k}: ${v}`)].filter(Boolean).join(" · ");
    return h("tr", { dataset: { id: f.id } },
      h("td", { class: "mono muted" }, f.id),
      h("td", {}, match),
      h("td", {}, effect),
      h("td", { class: "num" }, f.times ?? "∞"),
      h("td", { class: "num" }, f.probability ?? 1),
      h("td", { class: "num matched" }, f.matched),
      h("td", { class: "num fired" }, f.fired),
      h("td", {}, h("span", { class: `badge ${f.retired ? "" : "warn"}` }, f.retired ? "retired" : "active")),
      h("td", { class: "num" }, h("button", { class: "small danger-outline", type: "button", onclick: async () => {
        await control("DELETE", `/faults/${encodeURIComponent(f.id)}`);
        await tick();
      } }, "Remove")));
  });
  return h("div", {},
    h("div", { class: "table-wrap" }, h("table", { class: "faults" },
      h("thead", {}, h("tr", {}, h("th", {}, "Rule"), h("th", {}, "Matches"), h("th", {}, "Answers with"),
        h("th", { class: "num" }, "Times"), h("th", { class: "num" }, "Prob."), h("th", { class: "num" }, "Matched"),
        h("th", { class: "num" }, "Fired"), h("th", {}, "State"), h("th", {}))),
      h("tbody", {}, rows))),
    h("div", { class: "form-foot" }, h("button", { class: "danger-outline", type: "button", onclick: async () => {
      await control("DELETE", "/faults");
      await tick();
    } }, "Remove all")));
}

// -- clock --------------------------------------------------------------------------------

async function changeClock(body, method = "POST") {
  try {
    await control(method, "/clock", body);
    await tick();
  } catch (error) { toast(`Clock: ${error.message}`, true); }
}

function renderClock() {
  const c = state.clock;
  const mode = !c ? "" : c.frozen ? "Frozen: time stands still until you advance, set or release it."
    : c.real ? "Real time." : `Running, shifted ${formatDuration(Math.abs(fakeNow() - Date.now() / 1000))} from real time.`;
  const quick = [["+1 hour", 3600], ["+1 day", 86400], ["+7 days", 604800], ["+30 days", 2592000]];
  return h("div", { class: "clock-view" },
    h("div", { class: "view-head" }, h("div", {}, h("h1", {}, "Clock"),
      h("div", { class: "sub" }, "Expiry, signed links and timestamps follow the fake's clock; files past their expiry disappear."))),
    h("div", { class: "grid-2" },
      h("div", { class: "card pad", "data-live": "" },
        h("div", { class: "muted" }, "The fake's time (UTC)"),
        h("div", { class: "big-time", id: "clock-now" }, c ? utc(fakeNow(), true) : "—"),
        h("p", { class: "muted", id: "clock-mode" }, mode),
        h("div", { class: "quick" },
          quick.map(([label, seconds]) => h("button", { type: "button", dataset: { advance: seconds },
            onclick: () => changeClock({ advance_seconds: seconds }) }, label)),
          h("button", { type: "button", id: "freeze", onclick: () => changeClock(c?.frozen ? { set: fakeNow() } : { freeze: true }) },
            c?.frozen ? "Unfreeze" : "Freeze"),
          h("button", { type: "button", id: "real-time", onclick: () => changeClock(undefined, "DELETE") }, "Real time"))),
      h("form", { class: "card pad keep", onsubmit: (event) => {
        event.preventDefault();
        const data = new FormData(event.target);
        if (event.submitter?.value === "advance") {
          const seconds = Number(data.get("amount")) * Number(data.get("unit"));
          if (seconds) changeClock({ advance_seconds: seconds });
        } else if (data.get("when")) {
          changeClock({ set: `${data.get("when")}:00Z`.slice(0, 19) + "Z" });
        }
      } },
        h("h2", {}, "Advance"),
        h("div", { class: "toolbar" },
          h("input", { name: "amount", type: "number", step: "any", value: 1, class: "w-90", "aria-label": "Amount" }),
          h("select", { name: "unit", "aria-label": "Unit" },
            [["60", "minutes"], ["3600", "hours"], ["86400", "days", true]].map(([v, t, sel]) => h("option", { value: v, selected: sel }, t))),
          h("button", { type: "submit", value: "advance" }, "Advance")),
        h("h2", {}, "Set (UTC)"),
        h("div", { class: "toolbar" },
          h("input", { name: "when", type: "datetime-local", "aria-label": "New time, UTC" }),
          h("button", { type: "submit", value: "set" }, "Set")))),
    h("div", { class: "gap" }),
    h("h2", {}, "Next to expire"),
    h("div", { "data-live": "" }, expiringTable()));
}

function expiringTable() {
  const files = state.expiring || [];
  if (!files.length) {
    return h("div", { class: "table-wrap" }, h("div", { class: "empty" }, "No stored file has an expiry. OpenAI batch uploads expire after 30 days; expires_after sets one."));
  }
  const rows = files.map((f) => {
    const found = namespaceOf(f.namespace);
    return h("tr", { class: "clickable", dataset: { id: f.id }, onclick: () => go(`#/files/${f.namespace}`) },
      h("td", { class: "name" }, h("span", { class: "file-icon" }, extension(f.filename)), f.filename),
      h("td", {}, found ? found.vendor.title + (found.ns.project ? ` / ${shortId(found.ns.project)}` : "") : f.namespace),
      h("td", { class: "id mono" }, f.id),
      h("td", {}, `${utc(f.expires_at, true)}`),
      h("td", {}, h("span", { class: f.expires_at - fakeNow() < 86400 ? "badge warn" : "badge" }, relative(f.expires_at))));
  });
  return h("div", { class: "table-wrap" }, h("table", { class: "expiring" },
    h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Vendor"), h("th", {}, "ID"), h("th", {}, "Expires (UTC)"), h("th", {}, "In"))),
    h("tbody", {}, rows)));
}

// -- connect --------------------------------------------------------------------------------

function renderConnect() {
  const rows = Object.entries(state.baseUrls).map(([prefix, url]) => {
    const vendor = state.vendors.find((v) => v.prefixes.includes(prefix));
    return h("tr", {},
      h("td", {}, vendor?.title || prefix),
      h("td", { class: "mono muted" }, prefix),
      h("td", {}, h("div", { class: "copy-row" }, h("code", {}, url),
        h("button", { class: "small", type: "button", onclick: () => copy(url) }, "Copy"))));
  });
  const control = `${location.origin}${CONTROL}/`;
  return h("div", { class: "connect-view" },
    h("div", { class: "view-head" }, h("div", {}, h("h1", {}, "Connect an SDK"),
      h("div", { class: "sub" }, "Point each SDK's base URL here; any non-empty API key works unless the fake runs with --auth strict. For orq the key selects the project."))),
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "Vendor"), h("th", {}, "Prefix"), h("th", {}, "SDK base URL"))),
      h("tbody", {}, rows))),
    h("div", { class: "gap" }),
    h("div", { class: "card pad" }, h("h2", {}, "Control API"),
      h("div", { class: "copy-row" }, h("code", {}, control),
        h("button", { class: "small", type: "button", onclick: () => copy(control) }, "Copy"))));
}

// -- start --------------------------------------------------------------------------------

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  localStorage.setItem("fakefiles-theme", theme);
}

document.addEventListener("DOMContentLoaded", async () => {
  const stored = localStorage.getItem("fakefiles-theme");
  applyTheme(stored || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"));
  $("#theme").addEventListener("click", () => applyTheme(document.documentElement.dataset.theme === "dark" ? "light" : "dark"));
  $("#reset").addEventListener("click", async () => {
    if (!await confirmDialog("Reset the fake? Files go back to the loaded fixtures; faults, the journal and the clock are cleared.", "Reset")) return;
    try {
      await control("POST", "/reset");
      state.journalSeen.clear();
      toast("Reset to the fixtures");
      await tick();
    } catch (error) { toast(`Reset: ${error.message}`, true); }
  });
  $("#live").addEventListener("click", () => { tokenDeclined = false; tick(); });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape" && state.selected) closeDrawer(); });
  window.addEventListener("hashchange", onRoute);
  await tick(); // the vendors first: the default view is the first vendor's files
  await onRoute();
  schedule();
});
