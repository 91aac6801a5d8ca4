import { escapeHtml, href, html, SafeHtml } from "../../../src/web/html";

describe("html template", () => {
  it("escapes every interpolated string, in text and in attributes", () => {
    const evil = `<script>alert("x")</script>&'`;
    expect(html`<p title="${evil}">${evil}</p>`.toString()).toBe(
      `<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>`,
    );
  });

  it("keeps markup built by html, escapes strings inside arrays, and prints nothing for null", () => {
    const inner = html`<b>${"<i>"}</b>`;
    expect(html`<div>${inner}${["<u>", html`<br>`]}${null}${undefined}${0}</div>`.toString()).toBe("<div><b>&lt;i&gt;</b>&lt;u&gt;<br>0</div>");
  });

  it("never trusts a caller's string, whatever it looks like", () => {
    expect(html`${"<b>bold</b>"}`.toString()).toBe("&lt;b&gt;bold&lt;/b&gt;");
    expect(new SafeHtml("<b>").toString()).toBe("<b>");
    expect(escapeHtml(`"'<>&`)).toBe("&quot;&#39;&lt;&gt;&amp;");
  });

  it("href percent-encodes query values and leaves out empty ones", () => {
    expect(href("/ui/", { q: "a b&c=<d>", empty: "", none: undefined, n: 2 })).toBe("/ui/?q=a%20b%26c%3D%3Cd%3E&n=2");
  });
});
