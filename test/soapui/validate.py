#!/usr/bin/env python3
"""
Validates SOAP request envelopes against the <xs:schema> of a WSDL, as a WSDL-aware tool
(SoapUI's "Validate") would: every child of the SOAP Header and the one child of the Body must
be a global element of the schema and valid against it.

Usage: validate.py WSDL_FILE < requests.json
  requests.json: [{"name": "...", "xml": "<soapenv:Envelope ...>"}, ...]
Prints a JSON list [{"name", "body", "headers", "errors"}] (errors empty when valid) on stdout;
exits 2 when the WSDL's schema cannot be compiled. Needs python3-lxml (Debian).
"""
import copy
import json
import sys

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def load_schema(path):
    wsdl = etree.parse(path).getroot()
    schemas = wsdl.findall(".//{%s}schema" % XS)
    if len(schemas) != 1:
        raise ValueError("the WSDL has %d xs:schema elements, expected 1" % len(schemas))
    # A standalone copy carrying every prefix in scope in the WSDL (type="ns1:LeadKey").
    el = etree.Element(schemas[0].tag, attrib=dict(schemas[0].attrib), nsmap=dict(schemas[0].nsmap))
    for child in schemas[0]:
        el.append(copy.deepcopy(child))
    return etree.XMLSchema(el)


def check(schema, element):
    doc = etree.fromstring(etree.tostring(element))
    if schema.validate(doc):
        return []
    return ["%s: line %d: %s" % (etree.QName(element).localname, e.line, e.message) for e in schema.error_log]


def validate(schema, name, xml):
    out = {"name": name, "body": None, "headers": [], "errors": []}
    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError as e:
        out["errors"].append("not well-formed: %s" % e)
        return out
    if root.tag != "{%s}Envelope" % SOAP_ENV:
        out["errors"].append("root is %s, not a SOAP 1.1 Envelope" % root.tag)
        return out
    header = root.find("{%s}Header" % SOAP_ENV)
    for h in [] if header is None else [c for c in header if isinstance(c.tag, str)]:
        out["headers"].append(h.tag)
        out["errors"].extend(check(schema, h))
    bodies = root.findall("{%s}Body" % SOAP_ENV)
    children = [c for c in bodies[0] if isinstance(c.tag, str)] if len(bodies) == 1 else []
    if len(children) != 1:
        out["errors"].append("the Body must have exactly one child element")
        return out
    out["body"] = children[0].tag
    out["errors"].extend(check(schema, children[0]))
    return out


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    try:
        schema = load_schema(argv[1])
    except (ValueError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as e:
        sys.stderr.write("validate.py: the WSDL's schema does not compile: %s\n" % e)
        return 2
    requests = json.load(sys.stdin)
    json.dump([validate(schema, r["name"], r["xml"]) for r in requests], sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
