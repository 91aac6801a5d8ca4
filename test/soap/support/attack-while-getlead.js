// Runs in a process of its own (so that neither the test runner's heap nor its GC pauses are
// measured): a getLead loop against the server while 4 MB envelopes with a bad signature are
// posted, one after another. Prints {"times":[…],"attacks":[{status,code}…]}.
// Usage: node attack-while-getlead.js <base url> <user id> <key>
"use strict";
const { createHmac } = require("node:crypto");
const [url, user, key] = process.argv.slice(2);
const ENV = "http://schemas.xmlsoap.org/soap/envelope/";
const NS = "http://www.marketo.com/mktows/";
const header = (k) => {
  const ts = new Date().toISOString().replace(/\.\d{3}Z$/, "+00:00");
  const sig = createHmac("sha1", k).update(ts + user).digest("hex");
  return `<ns1:AuthenticationHeader><mktowsUserId>${user}</mktowsUserId><requestSignature>${sig}</requestSignature><requestTimestamp>${ts}</requestTimestamp></ns1:AuthenticationHeader>`;
};
const envelope = (h, body) =>
  `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="${ENV}" xmlns:ns1="${NS}"><SOAP-ENV:Header>${h}</SOAP-ENV:Header><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
const getLead = new TextEncoder().encode(envelope(header(key), `<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>loop@example.com</keyValue></leadKey></ns1:paramsGetLead>`));
const attack = new TextEncoder().encode(envelope(header("not-the-key-0123456789"), `<ns1:paramsGetLead>${"<x/>".repeat((4 * 1024 * 1024 - 2000) / 4)}</ns1:paramsGetLead>`));
const post = async (body) => {
  const res = await fetch(`${url}/soap/mktows/2_2`, { method: "POST", headers: { "content-type": "text/xml; charset=utf-8" }, body });
  return { status: res.status, body: await res.text() };
};
(async () => {
  const created = await post(new TextEncoder().encode(envelope(header(key), `<ns1:paramsSyncLead><leadRecord><Email>loop@example.com</Email></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`)));
  if (created.status !== 200) throw new Error(`syncLead answered ${created.status}`);
  for (let i = 0; i < 20; i++) await post(getLead);
  let looping = true;
  const times = [];
  const loop = (async () => {
    while (looping) {
      const started = performance.now();
      const res = await post(getLead);
      if (res.status !== 200) throw new Error(`getLead answered ${res.status}`);
      times.push(performance.now() - started);
    }
  })();
  const attacks = [];
  for (let i = 0; i < 3; i++) {
    const res = await post(attack);
    attacks.push({ status: res.status, code: /<code>(\d+)<\/code>/.exec(res.body)?.[1] ?? null });
  }
  looping = false;
  await loop;
  process.stdout.write(JSON.stringify({ times, attacks, bytes: attack.length }) + "\n");
})().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + "\n");
  process.exit(1);
});
