/**
 * An HTTP client for the web UI (/ui) without a browser: one session cookie, redirects not
 * followed (so a test sees each 303), forms posted as application/x-www-form-urlencoded.
 */
import { TEST_ADMIN_TOKEN } from "./test-app";

export interface UiResponse {
  readonly status: number;
  /** The Location header of a redirect, "" otherwise. */
  readonly location: string;
  readonly headers: Headers;
  readonly body: string;
}

export class UiClient {
  /** The session cookie, as the browser would send it ("" before login). */
  cookie = "";

  constructor(private readonly baseUrl: string) {}

  async get(path: string): Promise<UiResponse> {
    return this.send("GET", path);
  }

  async post(path: string, form: Record<string, string>): Promise<UiResponse> {
    return this.send("POST", path, new URLSearchParams(form).toString());
  }

  /** Logs in with the token; keeps the cookie when the server sets one. */
  async login(token = TEST_ADMIN_TOKEN): Promise<UiResponse> {
    const res = await this.post("/ui/login", { token });
    const set = res.headers.get("set-cookie");
    if (set) this.cookie = set.split(";")[0];
    return res;
  }

  /** The CSRF token a page's forms carry. */
  async csrfOf(path: string): Promise<string> {
    const page = await this.get(path);
    const m = /name="_csrf" value="([^"]+)"/.exec(page.body);
    if (!m) throw new Error(`no CSRF token on ${path} (status ${page.status})`);
    return m[1];
  }

  private async send(method: string, path: string, body?: string): Promise<UiResponse> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body, redirect: "manual" });
    return { status: res.status, location: res.headers.get("location") ?? "", headers: res.headers, body: await res.text() };
  }
}

/** The body rows of a page's tables, each as its cells' text (tags removed, entities kept). */
export function tableRows(body: string): string[][] {
  const tbody = [...body.matchAll(/<tbody>([\s\S]*?)<\/tbody>/g)].map((m) => m[1]).join("");
  return [...tbody.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1].replace(/<[^>]*>/g, "").trim()),
  );
}
