/** Small network helpers: a free port, and POST over a keep-alive agent. */
import http from "node:http";
import net from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Sockets are kept alive and reused by the load workers; each phase starts with fresh ones. */
let agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export function freshSockets(): void {
  agent.destroy();
  agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
}

export interface Reply {
  readonly status: number;
  readonly body: string;
}

export function post(url: URL, body: string, contentType: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: "POST",
        agent,
        headers: { "content-type": contentType, "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export async function get(url: URL): Promise<Reply> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}
