// A reference automerge-repo sync server on 127.0.0.1, as the automerge-repo docs describe it:
// in memory, or with `--data DIR` on the NodeFS storage adapter as automerge-repo-sync-server
// ships it. Prints "listening <port>" once ready.
import { WebSocketServer } from "ws";
import { Repo } from "@automerge/automerge-repo";
import { WebSocketServerAdapter } from "@automerge/automerge-repo-network-websocket";

const at = process.argv.indexOf("--data");
const storage =
  at > 0
    ? new (await import("@automerge/automerge-repo-storage-nodefs")).NodeFSStorageAdapter(process.argv[at + 1])
    : undefined;
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
new Repo({ network: [new WebSocketServerAdapter(wss)], storage, sharePolicy: async () => false });
// With storage the repo connects its network adapter only once the storage id is read: a
// client that came earlier would wait in vain for its handshake.
// (The adapter listens for connections from then on.)
wss.on("listening", async () => {
  while (wss.listenerCount("connection") === 0) await new Promise((resolve) => setImmediate(resolve));
  console.log(`listening ${wss.address().port}`);
});
