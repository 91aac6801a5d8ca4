/**
 * HTML for the web UI without a template engine. `html` is a tagged template that escapes every
 * interpolated value unless it is already SafeHtml (the result of another `html` call), so a
 * value can only reach the page as text: escaping is the default, not a habit to remember.
 * Values go into element text or double-quoted attributes only, never into script or style.
 */

/** Markup that is already safe: built by `html`, never from a caller's string. */
export class SafeHtml {
  constructor(private readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

/** What may be interpolated. Booleans are left out on purpose: `${flag}` would print "false". */
export type HtmlValue = SafeHtml | string | number | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined) return "";
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1];
  });
  return new SafeHtml(out);
}

/** A URL path with each segment and query value percent-encoded (then escaped by `html`). */
export function href(path: string, query: Record<string, string | number | undefined> = {}): string {
  const params = Object.entries(query)
    .filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== "")
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return params.length ? `${path}?${params.join("&")}` : path;
}

/**
 * A table whose cells carry their column's name, so that on a narrow screen each row becomes a
 * small card of "name value" lines instead of a table wider than the phone.
 */
export function table(headers: readonly string[], rows: readonly (readonly HtmlValue[])[]): SafeHtml {
  return html`<table class="stack">
    <thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
    <tbody>${rows.map((cells) => html`<tr>${cells.map((c, i) => html`<td data-label="${headers[i]}">${c}</td>`)}</tr>`)}</tbody></table>`;
}

/** A time as UTC text, in a <time> element. */
export function time(at: Date | null | undefined): SafeHtml {
  if (!at) return html`–`;
  const iso = at.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace("T", " ")} UTC</time>`;
}

export interface PageOptions {
  readonly title: string;
  readonly body: SafeHtml;
  /** The CSRF token of the session, for the logout button; absent on the login page. */
  readonly csrfToken?: string;
}

/** The whole document: readable on a phone (viewport, fluid width), styled by one stylesheet. */
export function page(options: PageOptions): string {
  const nav = options.csrfToken
    ? html`<nav class="top"><a href="/ui/">Search leads</a>
        <form method="post" action="/ui/logout" class="inline">
          <input type="hidden" name="_csrf" value="${options.csrfToken}"><button type="submit" class="link">Log out</button>
        </form></nav>`
    : html``;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · mktows</title>
<link rel="stylesheet" href="/ui/assets/style.css">
</head>
<body>
<header><span class="brand">mktows</span>${nav}</header>
<main>
${options.body}
</main>
</body>
</html>
`.toString();
}

/** The one stylesheet, served at /ui/assets/style.css (no build step, no inline styles: CSP). */
export const STYLESHEET = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;background:#f5f6f8}
header{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.5rem;padding:.6rem 1rem;background:#23395d;color:#fff}
header a,header .link{color:#fff}
.brand{font-weight:700;letter-spacing:.02em}
nav.top{display:flex;gap:1rem;align-items:center}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.2rem 0 .6rem;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:1.2rem 0 .5rem}
a{color:#1f5fbf}
.card{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:1rem;margin:0 0 1rem}
.card>h1:first-child,.card>h2:first-child{margin-top:0}
.muted{color:#5d6675}
.tabs{display:flex;flex-wrap:wrap;gap:.25rem;margin:0 0 1rem;padding:0;list-style:none;border-bottom:2px solid #dde1e7}
.tabs a{display:block;padding:.45rem .8rem;text-decoration:none;border-radius:6px 6px 0 0}
.tabs a[aria-current=page]{background:#23395d;color:#fff}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid #e6e9ee;overflow-wrap:anywhere}
th{font-weight:600;background:#eef1f5}
dl.fields{display:grid;grid-template-columns:minmax(8rem,14rem) 1fr;gap:.25rem 1rem;margin:0}
dl.fields dt{color:#5d6675}
dl.fields dd{margin:0;overflow-wrap:anywhere}
@media (max-width:30rem){dl.fields{grid-template-columns:1fr}dl.fields dd{margin-bottom:.4rem}}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.85rem;font-weight:600}
.badge.unsub{background:#fde2e1;color:#9b1c1c}
.badge.sub{background:#dcf5e3;color:#17603a}
.flash{padding:.6rem .8rem;border-radius:6px;margin:0 0 1rem;background:#e7f0fd;border:1px solid #b8d0f5}
.flash.error{background:#fde2e1;border-color:#f3b4b1}
form.inline{display:inline;margin:0}
label{cursor:pointer}
input[type=search],input[type=password],input[type=text]{font:inherit;padding:.45rem .6rem;border:1px solid #b9c0cc;border-radius:4px;width:100%;max-width:28rem}
input[type=checkbox]{width:1.2rem;height:1.2rem;vertical-align:middle}
button,.button{font:inherit;padding:.45rem 1rem;border-radius:4px;border:1px solid #23395d;background:#23395d;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:#23395d}
button.danger{background:#b42318;border-color:#b42318}
button.link{background:none;border:none;padding:0;text-decoration:underline}
@media (max-width:40rem){
table.stack thead{display:none}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack{background:none}
table.stack tr{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:0 0 .6rem;padding:.3rem 0}
table.stack td{border:none;padding:.15rem .6rem}
table.stack td::before{content:attr(data-label);display:inline-block;min-width:6.5rem;font-weight:600;color:#5d6675}
}
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.actions{display:grid;gap:1rem}
`;
