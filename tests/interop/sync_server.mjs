// A reference automerge-repo sync server (in memory) on 127.0.0.1, as the automerge-repo docs
// describe it. Prints "listening <port>" once ready.
import { WebSocketServer } from "ws";
import { Repo } from "@automerge/automerge-repo";
import { WebSocketServerAdapter } from "@automerge/automerge-repo-network-websocket";

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
new Repo({ network: [new WebSocketServerAdapter(wss)], sharePolicy: async () => false });
wss.on("listening", () => console.log(`listening ${wss.address().port}`));
