// The P2 anchor of `cargo xtask bench`: a minimal page on the npm @automerge/automerge that
// loads the same workspace bytes from IndexedDB and renders the same lists as moot's agenda
// page (sessions with their agenda items, minutes and action points), then marks the frame.
// With ?seed it first fetches the bytes and stores them.
import * as A from "./automerge/entrypoints/slim.js";

const db = await new Promise((ok, fail) => {
  const r = indexedDB.open("anchor", 1);
  r.onupgradeneeded = () => r.result.createObjectStore("docs");
  r.onsuccess = () => ok(r.result);
  r.onerror = () => fail(r.error);
});
const store = (mode) => db.transaction("docs", mode).objectStore("docs");
const req = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });

if (location.search.includes("seed")) {
  const bytes = new Uint8Array(await (await fetch("./workspace.automerge")).arrayBuffer());
  await req(store("readwrite").put(bytes, "workspace"));
  document.getElementById("app").textContent = `seeded ${bytes.length}`;
  document.body.dataset.seeded = "yes";
} else {
  await A.initializeWasm(new URL("./automerge.wasm", import.meta.url));
  const bytes = await req(store("readonly").get("workspace"));
  const doc = A.load(bytes);
  const app = document.getElementById("app");
  app.textContent = "";
  const el = (tag, text) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); return e; };
  app.append(el("h1", doc.name));
  const items = (list) => {
    const ol = el("ol");
    for (const item of list) {
      const li = el("li");
      const title = el("input");
      title.value = String(item.title);
      li.append(title, el("textarea", item.minutes));
      if (item.children && item.children.length) li.append(items(item.children));
      ol.append(li);
    }
    return ol;
  };
  for (const s of doc.sessions) {
    const article = el("article");
    article.append(el("h2", s.title), el("p", `${s.start} UTC`), el("p", s.invitation), items(s.agenda));
    const aps = el("ul");
    for (const a of s.action_points) aps.append(el("li", `${a.text} — ${(a.owners || []).join(", ")} — ${a.due || ""}`));
    article.append(aps);
    app.append(article);
  }
  requestAnimationFrame(() => performance.mark("anchor:editable"));
}
