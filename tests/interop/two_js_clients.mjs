// Two separate JS automerge-repo clients sync through a relay: A creates a document, B finds
// and edits it, A sees B's edit. With a second URL, B uses that relay (two relays that share a
// database). Prints one JSON line; exits non-zero on any failure.
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const url = process.argv[2];
const urlB = process.argv[3] ?? url;
const deadline = Date.now() + 20_000;
const remaining = () => Math.max(0, deadline - Date.now());
const within = (promise, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), remaining()))]);

const a = new Repo({ network: [new WebSocketClientAdapter(url)] });
await within(a.networkSubsystem.whenReady(), "client A connects");
const handleA = a.create({ title: "created by JS client A" });

const b = new Repo({ network: [new WebSocketClientAdapter(urlB)] });
await within(b.networkSubsystem.whenReady(), "client B connects");
// The relay may not have stored A's document yet: ask again until it has, within the deadline.
let handleB;
while (!handleB) {
  try {
    handleB = await within(b.find(handleA.url), "B finds the document");
  } catch (err) {
    if (remaining() === 0) throw err;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
handleB.change((doc) => {
  doc.editedBy = "JS client B";
});
await within(
  new Promise((resolve) => {
    const check = () => handleA.doc().editedBy === "JS client B" && resolve();
    handleA.on("change", check);
    check();
  }),
  "A sees B's edit",
);
console.log(JSON.stringify({ url: handleA.url, title: handleB.doc().title, editedBy: handleA.doc().editedBy }));
process.exit(0);
