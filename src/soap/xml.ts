/**
 * A small writer for response bodies. Responses are built as text in xs:sequence order
 * (node-soap would emit JS key order, stack notes §2) and handed to node-soap as `$xml`.
 * Children are unqualified, as in Marketo's schema; nil is `xsi:nil="true"` (the envelope
 * declares xmlns:xsi).
 */
export const MKTOWS_NS = "http://www.marketo.com/mktows/";

export function escapeXml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    // Characters XML 1.0 cannot carry at all are dropped rather than sent as broken XML.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "");
}

/** `<name>value</name>`; an empty string gives `<name/>`. */
export function text(name: string, value: string | number | boolean): string {
  const s = String(value);
  return s === "" ? `<${name}/>` : `<${name}>${escapeXml(s)}</${name}>`;
}

export function nil(name: string): string {
  return `<${name} xsi:nil="true"/>`;
}

/** A nillable element: null or undefined gives nil. */
export function textOrNil(name: string, value: string | number | boolean | null | undefined): string {
  return value === null || value === undefined ? nil(name) : text(name, value);
}

/** A complex element from already-written children. */
export function element(name: string, children: string[]): string {
  return `<${name}>${children.join("")}</${name}>`;
}

/** Marketo writes dateTimes with an offset and no fractional seconds. */
export function dateTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "+00:00");
}
