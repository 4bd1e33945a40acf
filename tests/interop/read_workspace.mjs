// A JS automerge-repo client reads a moot workspace: prints its name, first session's start,
// agenda titles and action points as one JSON line.
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const [server, docUrl] = process.argv.slice(2);
const deadline = Date.now() + 20_000;
const remaining = () => Math.max(0, deadline - Date.now());
const within = (promise, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), remaining()))]);

const repo = new Repo({ network: [new WebSocketClientAdapter(server)] });
await within(repo.networkSubsystem.whenReady(), "connect");
const handle = await within(repo.find(docUrl), "find the workspace");
const doc = handle.doc();
const text = (v) => (typeof v === "string" ? v : String(v));
const session = doc.sessions[0];
// The agenda's items sit where their `parent` and `order` say (see ARCHITECTURE.md); items of
// older documents without them keep their nesting.
const items = [];
const walk = (list, parent) =>
  list.forEach((item) => {
    items.push({ item, parent: item.parent ?? parent, order: item.order ?? "" });
    walk(item.children ?? [], text(item.id));
  });
walk(session.agenda, "");
const childrenOf = (id) =>
  items
    .filter((i) => !i.item.removed && text(i.parent) === id)
    .sort((a, b) => (text(a.order) < text(b.order) ? -1 : text(a.order) > text(b.order) ? 1 : 0))
    .map((i) => i.item);
const top = childrenOf("");
console.log(
  JSON.stringify({
    name: text(doc.name),
    start: text(session.start),
    agenda: top.map((item) => text(item.title)),
    subpoints: childrenOf(text(top[1].id)).map((item) => text(item.title)),
    actions: session.action_points.map((a) => text(a.text)),
  }),
);
process.exit(0);
