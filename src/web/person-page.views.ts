/**
 * The pages of the person page (SPEC §4 "Person page"): login, search, and a lead's detail with
 * its tabs. Pure functions from data to HTML; every value passes through `html`, which escapes it.
 */
import type { EmailStatusView } from "../domain/email-status-query.service";
import type { Activity, ChannelName, EmailStatusChange, Lead } from "../domain/types";
import { href, html, page, table, time, type SafeHtml } from "./html";

/** A lead with the name of its partition, as the pages show it. */
export interface LeadRow {
  readonly lead: Lead;
  readonly partition: string;
}

export type PersonTab = "info" | "activity" | "email-status" | "delete";

const TABS: readonly { tab: PersonTab; label: string; path: string }[] = [
  { tab: "info", label: "Info", path: "" },
  { tab: "activity", label: "Activity log", path: "/activity" },
  { tab: "email-status", label: "Email status", path: "/email-status" },
  { tab: "delete", label: "Delete", path: "/delete" },
];

const CHANNEL_LABELS: Record<ChannelName, string> = {
  soap: "SOAP API",
  sfdc: "Salesforce sync",
  flow: "Flow step",
  personPage: "Person page",
  adminApi: "Admin API",
  import: "Import",
  oneClick: "One-click unsubscribe link",
};

export function channelLabel(name: string): string {
  return (CHANNEL_LABELS as Record<string, string>)[name] ?? name;
}

export function leadPath(id: number, tab: PersonTab = "info"): string {
  return `/ui/leads/${id}${TABS.find((t) => t.tab === tab)?.path ?? ""}`;
}

export function displayName(lead: Lead): string {
  const name = [lead.fields.FirstName, lead.fields.LastName].filter((s) => s && s.trim()).join(" ");
  return name || lead.email || `Lead ${lead.id}`;
}

function statusBadge(unsubscribed: boolean): SafeHtml {
  return unsubscribed ? html`<span class="badge unsub">Unsubscribed</span>` : html`<span class="badge sub">Subscribed</span>`;
}

function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

function flashBox(flash: string | undefined, kind: "info" | "error" = "info"): SafeHtml {
  return flash ? html`<p class="flash ${kind === "error" ? "error" : ""}" role="status">${flash}</p>` : html``;
}

export function loginPage(options: { error?: string }): string {
  return page({
    title: "Log in",
    body: html`<div class="card">
      <h1>Log in</h1>
      ${flashBox(options.error, "error")}
      <form method="post" action="/ui/login">
        <p><label for="token">Admin token</label><br>
        <input type="password" id="token" name="token" autocomplete="current-password" required autofocus></p>
        <p class="muted">The ADMIN_TOKEN of this server (printed at its first start).</p>
        <button type="submit">Log in</button>
      </form></div>`,
  });
}

export interface SearchPaging {
  readonly page: number;
  readonly size: number;
  readonly more: boolean;
}

export function searchPage(options: { q: string; results: LeadRow[] | null; csrf: string; flash?: string; paging?: SearchPaging; address?: EmailStatusView | null }): string {
  const results = options.results;
  const paging = options.paging ?? { page: 1, size: results?.length ?? 0, more: false };
  let list: SafeHtml = html``;
  if (results && results.length === 0) list = html`<p>No lead matches <strong>${options.q}</strong>${paging.page > 1 ? html` on page ${paging.page}` : html``}.</p>`;
  else if (results) {
    list = table(
      ["Id", "Name", "Email", "Partition", "Status"],
      results.map((r) => [
        html`<a href="${leadPath(r.lead.id)}">${r.lead.id}</a>`,
        html`<a href="${leadPath(r.lead.id)}">${displayName(r.lead)}</a>`,
        r.lead.email ?? "",
        r.partition,
        statusBadge(r.lead.unsubscribed),
      ]),
    );
    const first = (paging.page - 1) * paging.size + 1;
    const last = first + results.length - 1;
    const link = (n: number, label: string) => html`<a href="${href("/ui/", { q: options.q, page: n })}">${label}</a>`;
    list = html`<p class="muted" id="result-count">Leads ${first}–${last}${paging.more ? html` (more match: ${link(paging.page + 1, "next page")})` : html``}${paging.page > 1 ? html` · ${link(paging.page - 1, "previous page")}` : html``}</p>${list}`;
  }
  const address = options.address
    ? html`<section class="card" aria-labelledby="address-h" id="address-status"><h2 id="address-h">The address ${options.address.email}</h2>
        <p>${statusBadge(options.address.unsubscribed)}${options.address.history[0] ? html` since ${time(options.address.history[0].at)}, by the channel <strong>${channelLabel(options.address.history[0].channel)}</strong> (reason “${options.address.history[0].reason}”)` : html`: no channel has ever changed its status`}.
        ${options.address.history.length ? html`<a href="${href("/ui/address", { email: options.address.email })}">Its history</a>` : html``}</p></section>`
    : html``;
  return page({
    title: "Search leads",
    csrfToken: options.csrf,
    body: html`${flashBox(options.flash)}<div class="card">
      <h1>Search leads</h1>
      <form method="get" action="/ui/" role="search" class="row">
        <input type="search" name="q" value="${options.q}" placeholder="Email, name or lead id" aria-label="Email, name or lead id">
        <button type="submit">Search</button>
      </form></div>${address}${list}`,
  });
}

/** The frame of a lead's detail: heading, tabs, an optional message, then the tab's content. */
export function personPage(options: { row: LeadRow; tab: PersonTab; csrf: string; flash?: string; content: SafeHtml }): string {
  const { lead, partition } = options.row;
  return page({
    title: displayName(lead),
    csrfToken: options.csrf,
    body: html`<h1>${displayName(lead)} ${statusBadge(lead.unsubscribed)}</h1>
      <p class="muted">Lead ${lead.id} · ${lead.email ?? "no email"} · partition ${partition}</p>
      <ul class="tabs">${TABS.map(
        (t) => html`<li><a href="${leadPath(lead.id, t.tab)}"${t.tab === options.tab ? html` aria-current="page"` : html``}>${t.label}</a></li>`,
      )}</ul>
      ${flashBox(options.flash)}
      ${options.content}`,
  });
}

/**
 * The Info tab. `unsubscribedBy` is the change that unsubscribed the lead's address (when it
 * is unsubscribed): its reason is the Unsubscribed Reason shown when the lead's own
 * UnsubscribedReason field is empty, with when and through which channel.
 */
export function infoTab(lead: Lead, partition: string, csrf: string, fieldLabel: (attrName: string) => string, unsubscribedBy?: EmailStatusChange): SafeHtml {
  const reason = lead.unsubscribedReason || (unsubscribedBy ? unsubscribedBy.reason : "");
  const fixed: [string, SafeHtml | string][] = [
    ["Id", String(lead.id)],
    ["Email Address", lead.email ?? ""],
    ["Partition", partition],
    ["Unsubscribed Reason", reason],
    ["Unsubscribed", unsubscribedBy ? html`${time(unsubscribedBy.at)} via ${unsubscribedBy.channel}` : ""],
    ["Foreign System Id", lead.foreignSysPersonId ? `${lead.foreignSysType ?? ""} ${lead.foreignSysPersonId}` : ""],
    ["Created", time(lead.createdAt)],
    ["Updated", time(lead.updatedAt)],
  ];
  const custom = Object.entries(lead.fields)
    .map(([name, value]) => [fieldLabel(name), value] as [string, string])
    .sort((a, b) => a[0].localeCompare(b[0]));
  const shown = fixed.filter(([label, value]) => value !== "" || label === "Email Address");
  return html`<section class="card" aria-labelledby="sub-h">
      <h2 id="sub-h">Subscription</h2>
      <form method="post" action="${`/ui/leads/${lead.id}/unsubscribed`}">
        ${csrfField(csrf)}<input type="hidden" name="was" value="${lead.unsubscribed ? "1" : "0"}">
        <p class="row"><input type="checkbox" id="unsubscribed" name="unsubscribed" value="1"${lead.unsubscribed ? html` checked` : html``}>
        <label for="unsubscribed">Unsubscribed</label></p>
        <p class="muted">${lead.email ? "The address's status: every lead with this address follows it, in every partition." : "This lead has no email address: only its own flag changes."}</p>
        <button type="submit">Save</button>
      </form></section>
    <section class="card" aria-labelledby="fields-h">
      <h2 id="fields-h">Fields</h2>
      <dl class="fields">${[...shown, ...custom].map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>
    </section>`;
}

function attribute(activity: Activity, ...names: string[]): string {
  for (const name of names) {
    const found = activity.attributes.find((a) => a.name === name);
    if (found) return found.value;
  }
  return "";
}

export function activityTab(activities: Activity[], remaining: number): SafeHtml {
  if (activities.length === 0) return html`<p class="card">No activity.</p>`;
  const rows = activities.map((a) => [
    time(a.createdAt),
    a.typeName,
    a.mktgAssetName,
    attribute(a, "Old Value"),
    attribute(a, "New Value"),
    attribute(a, "Reason", "Source Info"),
    attribute(a, "Source", "Source Type"),
  ]);
  return html`${table(["When", "Activity", "Field", "Old value", "New value", "Reason", "Source"], rows)}
    ${remaining > 0 ? html`<p class="muted">${remaining} older activities are not shown.</p>` : html``}`;
}

/** "Why is this address unsubscribed, since when, by which channel", then the whole history. */
export function emailStatusTab(status: EmailStatusView | null, sharing: LeadRow[]): SafeHtml {
  if (!status) return html`<p class="card">This lead has no email address, so no address status: only its own flag counts.</p>`;
  const latest = status.history[0];
  const summary = latest
    ? html`<p><strong>${status.email}</strong> is ${statusBadge(status.unsubscribed)} since ${time(latest.at)},
        by the channel <strong>${channelLabel(latest.channel)}</strong> (reason “${latest.reason}”, source “${latest.source}”${latest.leadId !== null ? html`, on lead <a href="${leadPath(latest.leadId)}">${latest.leadId}</a>` : html``}).</p>`
    : html`<p><strong>${status.email}</strong> is ${statusBadge(status.unsubscribed)}: no channel has ever changed its status.</p>`;
  const history = status.history.length
    ? table(
        ["When", "Status", "Channel", "Reason", "Source", "Lead"],
        status.history.map((h) => [
          time(h.at),
          h.unsubscribed ? "Unsubscribed" : "Re-subscribed",
          channelLabel(h.channel),
          h.reason,
          h.source,
          h.leadId !== null ? html`<a href="${leadPath(h.leadId)}">${h.leadId}</a>` : "",
        ]),
      )
    : html`<p>No changes recorded.</p>`;
  return html`<section class="card" aria-labelledby="status-h"><h2 id="status-h">Address status</h2>${summary}
      <p class="muted">${sharing.length === 1 ? "1 lead has" : `${sharing.length} leads have`} this address: ${sharing.map(
        (r, i) => html`${i > 0 ? ", " : ""}<a href="${leadPath(r.lead.id)}">${r.lead.id}</a> (${r.partition})`,
      )}.</p></section>
    <section aria-labelledby="history-h"><h2 id="history-h">History, newest first</h2>${history}</section>`;
}

/**
 * The Delete tab. Each destructive action is one entry of the list, so another (erasure) can be
 * added beside Delete without changing the page's structure.
 */
export function deleteTab(lead: Lead, csrf: string, extraActions: readonly SafeHtml[] = []): SafeHtml {
  const remove = html`<section class="card" aria-labelledby="delete-h">
      <h2 id="delete-h">Delete this lead</h2>
      <p>Deletes lead ${lead.id}. ${lead.email ? html`The address <strong>${lead.email}</strong> keeps its status: a lead created later with it starts ${lead.unsubscribed ? "unsubscribed" : "with that status"}.` : ""}
      A Delete Lead activity stays in the log.</p>
      <form method="post" action="${`/ui/leads/${lead.id}/delete`}">
        ${csrfField(csrf)}
        <p class="row"><input type="checkbox" id="confirm" name="confirm" value="yes" required><label for="confirm">Yes, delete lead ${lead.id}</label></p>
        <button type="submit" class="danger">Delete lead</button>
      </form></section>`;
  return html`<div class="actions">${[remove, ...extraActions]}</div>`;
}

/** Erasure (SPEC §1): every lead with the address goes, the plaintext is blanked, the address stays unsubscribed. */
export function eraseAction(lead: Lead, csrf: string, sharingCount: number): SafeHtml {
  if (!lead.email) return html``;
  return html`<section class="card" aria-labelledby="erase-h">
      <h2 id="erase-h">Erase this person</h2>
      <p>For a request to be forgotten: deletes <strong>${sharingCount === 1 ? "1 lead" : `all ${sharingCount} leads`}</strong> with the address
      <strong>${lead.email}</strong> in every partition, blanks the address in its status history and in activity rows that name it,
      and records the address as unsubscribed (reason "erased"), so it stays unsubscribed if it comes back. This cannot be undone.</p>
      <form method="post" action="${`/ui/leads/${lead.id}/erase`}">
        ${csrfField(csrf)}
        <p class="row"><input type="checkbox" id="confirm-erase" name="confirm" value="yes" required><label for="confirm-erase">Yes, erase ${lead.email}</label></p>
        <button type="submit" class="danger">Erase person</button>
      </form></section>`;
}

/** The confirmation before a re-subscribe: it says how many leads share the address. */
export function resubscribeConfirmPage(options: { row: LeadRow; sharing: LeadRow[]; csrf: string }): string {
  const { lead } = options.row;
  const n = options.sharing.length;
  const partitions = new Set(options.sharing.map((r) => r.partition)).size;
  const what = lead.email
    ? html`<p><strong>${n === 1 ? "1 lead" : `${n} leads`}</strong> ${n === 1 ? "has" : "share"} the address <strong>${lead.email}</strong>
        (in ${partitions === 1 ? "1 partition" : `${partitions} partitions`}). Clearing Unsubscribed re-subscribes the address:
        ${n === 1 ? "this lead is" : html`all ${n} leads are`} re-subscribed, and the address's history records it as a manual person edit.</p>
        <ul>${options.sharing.map((r) => html`<li>Lead ${r.lead.id}: ${displayName(r.lead)} (${r.partition})</li>`)}</ul>`
    : html`<p>This lead has no email address: only its own flag is cleared.</p>`;
  return page({
    title: "Re-subscribe?",
    csrfToken: options.csrf,
    body: html`<div class="card"><h1>Re-subscribe ${lead.email ?? `lead ${lead.id}`}?</h1>${what}
      <form method="post" action="${`/ui/leads/${lead.id}/resubscribe`}" class="row">
        ${csrfField(options.csrf)}
        <button type="submit">Re-subscribe ${n === 1 ? "1 lead" : `${n} leads`}</button>
        <a class="button secondary" href="${leadPath(lead.id)}">Cancel</a>
      </form></div>`,
  });
}

export function errorPage(options: { title: string; message: string; csrf?: string }): string {
  return page({
    title: options.title,
    csrfToken: options.csrf,
    body: html`<div class="card"><h1>${options.title}</h1><p>${options.message}</p><p><a href="/ui/">Back to the search</a></p></div>`,
  });
}

/** An address on its own: its status and history, and the leads that have it (maybe none). */
export function addressPage(status: EmailStatusView, leads: LeadRow[], csrf: string): string {
  return page({
    title: status.email,
    csrfToken: csrf,
    body: html`<h1>${status.email} ${statusBadge(status.unsubscribed)}</h1>${emailStatusTab(status, leads)}`,
  });
}
