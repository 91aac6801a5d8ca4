#!/usr/bin/env python3
"""
A real client for the mktows server: zeep (strict) loading the served WSDL, plus XSD
validation of every raw response against the <xs:schema> of that same WSDL.

Usage: mktows_zeep.py BASE_URL USER_ID ENCRYPTION_KEY VERSION SCENARIO [LIST_NAME CAMPAIGN_NAME]
  SCENARIO: "full" (every step below, on an empty database), "smoke" (create + read back) or
  "operations" (getMultipleLeads, getLeadChanges, listOperation, mergeLeads, campaigns,
  describeMObject and listMObjects, on an empty database with the named list and campaign).

Prints one JSON object on stdout. On any failure (a transport error, an unexpected fault, a
missing fault, a response that does not validate) it prints "mktows_zeep: FAILED: <why>" on
stderr and exits 1. Runs with Debian's python3-zeep (4.x) and lxml.
"""
import copy
import datetime
import decimal
import hashlib
import hmac
import json
import re
import sys
import time

from lxml import etree
from zeep import Client, Settings
from zeep.exceptions import Fault
from zeep.helpers import serialize_object
from zeep.transports import Transport

MKTOWS_NS = "http://www.marketo.com/mktows/"
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XS_NS = "http://www.w3.org/2001/XMLSchema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

# The fault detail has no schema in the WSDL (reference §1: "faults in WSDL: none"); this is the
# shape every observed Marketo fault has (reference §3.1).
FAULT_DETAIL_XSD = b"""<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.marketo.com/mktows/">
  <xs:element name="serviceException">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="name" type="xs:string" fixed="mktServiceException"/>
        <xs:element name="message" type="xs:string"/>
        <xs:element name="code" type="xs:int"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>"""


class Failure(Exception):
    pass


class RecordingTransport(Transport):
    """Keeps the raw HTTP answer of the last SOAP call (status, content type, body bytes)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.last = None
        self.wsdl_bytes = None

    def post_xml(self, address, envelope, headers):
        self.last = None
        response = super().post_xml(address, envelope, headers)
        self.last = (response.status_code, response.headers.get("Content-Type", ""), response.content)
        return response

    def load(self, url):
        content = super().load(url)
        if self.wsdl_bytes is None:
            self.wsdl_bytes = content
        return content


class Validator:
    """Checks raw responses: SOAP 1.1 envelope, body element, XSD of the served WSDL, fault shape."""

    def __init__(self, wsdl_bytes):
        wsdl = etree.fromstring(wsdl_bytes)
        schemas = wsdl.findall(".//{%s}schema" % XS_NS)
        if len(schemas) != 1:
            raise Failure("the served WSDL has %d xs:schema elements, expected 1" % len(schemas))
        # A standalone copy that declares every prefix in scope in the WSDL: the schema's QName
        # attribute values (type="ns1:LeadKey") use the prefix the wsdl:definitions declares.
        schema_el = etree.Element(schemas[0].tag, attrib=dict(schemas[0].attrib), nsmap=dict(schemas[0].nsmap))
        for child in schemas[0]:
            schema_el.append(copy.deepcopy(child))
        try:
            self.schema = etree.XMLSchema(schema_el)
        except etree.XMLSchemaParseError as e:
            raise Failure("the served WSDL's xs:schema does not compile: %s" % e)
        self.fault_schema = etree.XMLSchema(etree.fromstring(FAULT_DETAIL_XSD))
        self.count = 0

    @staticmethod
    def _envelope(raw, what):
        status, content_type, body = raw
        if not content_type.lower().startswith("text/xml"):
            raise Failure("%s: Content-Type is %r, expected text/xml" % (what, content_type))
        try:
            root = etree.fromstring(body)
        except etree.XMLSyntaxError as e:
            raise Failure("%s: the response is not well-formed XML (%s): %r" % (what, e, body[:400]))
        if root.tag != "{%s}Envelope" % SOAP_ENV_NS:
            raise Failure("%s: root element is %s, expected a SOAP 1.1 Envelope" % (what, root.tag))
        bodies = root.findall("{%s}Body" % SOAP_ENV_NS)
        if len(bodies) != 1:
            raise Failure("%s: %d SOAP Body elements" % (what, len(bodies)))
        children = [c for c in bodies[0] if isinstance(c.tag, str)]
        if len(children) != 1:
            raise Failure("%s: the Body has %d child elements, expected 1" % (what, len(children)))
        return status, children[0]

    @staticmethod
    def _validate(schema, element, what):
        # A copy as its own document: lxml carries over the namespace declarations it needs.
        doc = etree.fromstring(etree.tostring(element))
        if not schema.validate(doc):
            errors = "; ".join("line %d: %s" % (e.line, e.message) for e in schema.error_log)
            raise Failure("%s: the response does not validate against the schema: %s\n%s" % (what, errors, etree.tostring(element)[:2000]))

    def success(self, raw, element_name, what):
        if raw is None:
            raise Failure("%s: no HTTP response was recorded" % what)
        status, child = self._envelope(raw, what)
        if status != 200:
            raise Failure("%s: HTTP %d, expected 200" % (what, status))
        if child.tag != "{%s}%s" % (MKTOWS_NS, element_name):
            raise Failure("%s: body element is %s, expected {%s}%s" % (what, child.tag, MKTOWS_NS, element_name))
        self._validate(self.schema, child, what)
        self.count += 1

    def fault(self, raw, what):
        """Validates a fault answer and returns its code (as text) from the detail."""
        if raw is None:
            raise Failure("%s: no HTTP response was recorded" % what)
        status, fault = self._envelope(raw, what)
        if status != 500:
            raise Failure("%s: HTTP %d for a fault, expected 500" % (what, status))
        if fault.tag != "{%s}Fault" % SOAP_ENV_NS:
            raise Failure("%s: body element is %s, expected SOAP-ENV:Fault" % (what, fault.tag))
        names = [c.tag for c in fault if isinstance(c.tag, str)]
        if names != ["faultcode", "faultstring", "detail"]:
            raise Failure("%s: Fault children are %s, expected faultcode, faultstring, detail (unqualified)" % (what, names))
        faultcode = fault.find("faultcode").text or ""
        prefix, _, local = faultcode.rpartition(":")
        if fault.nsmap.get(prefix or None) != SOAP_ENV_NS or local != "Client":
            raise Failure("%s: faultcode %r is not the SOAP 1.1 Client code" % (what, faultcode))
        faultstring = fault.find("faultstring").text or ""
        m = re.match(r"^(\d{5}) - \S", faultstring)
        if not m:
            raise Failure("%s: faultstring %r is not '<code> - <text>'" % (what, faultstring))
        details = [c for c in fault.find("detail") if isinstance(c.tag, str)]
        if len(details) != 1:
            raise Failure("%s: detail has %d children, expected serviceException" % (what, len(details)))
        self._validate(self.fault_schema, details[0], what + " (fault detail)")
        code = details[0].find("code").text
        if code != m.group(1):
            raise Failure("%s: detail code %s differs from faultstring %r" % (what, code, faultstring))
        if not (details[0].find("message").text or "").endswith("(%s)" % code):
            raise Failure("%s: detail message does not end with (%s)" % (what, code))
        self.count += 1
        return code


def to_json(value):
    """zeep objects → plain JSON values (None stays null; datetimes as ISO text)."""
    value = serialize_object(value)

    def conv(v):
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list):
            return [conv(x) for x in v]
        if isinstance(v, (datetime.datetime, datetime.date)):
            return v.isoformat()
        if isinstance(v, decimal.Decimal):
            return str(v)
        return v

    return conv(value)


class Session:
    def __init__(self, base_url, user_id, key, version):
        self.user_id = user_id
        self.key = key
        self.version = version
        self.transport = RecordingTransport(timeout=30, operation_timeout=30)
        wsdl_url = "%s/soap/mktows/%s?WSDL" % (base_url.rstrip("/"), version)
        self.client = Client(wsdl_url, settings=Settings(strict=True), transport=self.transport)
        self.validator = Validator(self.transport.wsdl_bytes)
        self.header_element = self.client.get_element("{%s}AuthenticationHeader" % MKTOWS_NS)
        self.service = self.client.service
        address = self.service._binding_options["address"]
        expected = "%s/soap/mktows/%s" % (base_url.rstrip("/"), version)
        if address != expected:
            raise Failure("the WSDL's soap:address is %r, expected %r" % (address, expected))

    def header(self, signature=None):
        timestamp = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
        good = hmac.new(self.key.encode("utf-8"), (timestamp + self.user_id).encode("utf-8"), hashlib.sha1).hexdigest()
        return self.header_element(mktowsUserId=self.user_id, requestSignature=signature or good, requestTimestamp=timestamp)

    def call(self, operation, response_element, **params):
        """Calls, validates the raw answer, and returns (zeep's result, the raw body element)."""
        try:
            result = getattr(self.service, operation)(_soapheaders=[self.header()], **params)
        except Fault as f:
            raise Failure("%s: unexpected fault %s (%s)" % (operation, f.message, f.code))
        self.validator.success(self.transport.last, response_element, operation)
        body = etree.fromstring(self.transport.last[2]).find("{%s}Body" % SOAP_ENV_NS)
        return result, body[0]

    def call_until(self, done, operation, response_element, **params):
        """Repeats a call (each answer validated, one counted) until done(result): getLeadChanges
        only shows rows of transactions that have ended, which can lag a moment (SPEC §getLeadChanges)."""
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=15)
        while True:
            result = self.call(operation, response_element, **params)
            if done(result[0]) or datetime.datetime.now() > deadline:
                return result
            self.validator.count -= 1
            time.sleep(0.05)

    def expect_fault(self, what, operation, signature=None, **params):
        try:
            getattr(self.service, operation)(_soapheaders=[self.header(signature)], **params)
        except Fault as f:
            code = self.validator.fault(self.transport.last, what)
            exception = f.detail.find("{%s}serviceException" % MKTOWS_NS) if f.detail is not None else None
            if exception is None or exception.findtext("code") != code:
                raise Failure("%s: zeep's Fault.detail has no serviceException/code %s" % (what, code))
            return {
                "faultcode": f.code,
                "faultstring": f.message,
                "code": exception.findtext("code"),
                "name": exception.findtext("name"),
                "message": exception.findtext("message"),
            }
        raise Failure("%s: %s answered without a fault" % (what, operation))


def attrs(*pairs):
    return {"attribute": [{"attrName": n, "attrValue": v} for n, v in pairs]}


def is_nil(raw):
    return raw is not None and raw.get("{%s}nil" % XSI_NS) == "true"


def nil_children(raw):
    """Names of the raw element's children written xsi:nil="true", in document order."""
    return [c.tag for c in raw if isinstance(c.tag, str) and is_nil(c)]


def all_empty(value):
    if value is None:
        return True
    if isinstance(value, dict):
        return all(all_empty(v) for v in value.values())
    if isinstance(value, list):
        return len(value) == 0
    return False


def nillable(value, raw, what):
    """A nillable complex element. zeep 4.2 turns <x xsi:nil="true"/> into an object whose fields
    are all None (it only returns None for an element with no attributes); the raw XML decides."""
    if raw is None:
        raise Failure("%s: element missing from the response" % what)
    if is_nil(raw):
        if not all_empty(to_json(value)):
            raise Failure("%s: xsi:nil on the wire but zeep read a value: %r" % (what, value))
        return None
    if value is None:
        raise Failure("%s: zeep read None for a non-nil element" % what)
    return value


def lead_json(record, raw):
    r = to_json(record)
    attributes = r.get("leadAttributeList")
    r["leadAttributeList"] = None if attributes is None else {a["attrName"]: {"type": a["attrType"], "value": a["attrValue"]} for a in attributes["attribute"]}
    r["xsiNil"] = nil_children(raw)
    for name in r["xsiNil"]:
        if r.get(name) is not None:
            raise Failure("leadRecord/%s is xsi:nil but zeep read %r" % (name, r[name]))
    return r


def get_lead_json(call):
    result, raw = call
    raw_list = raw.find("result/leadRecordList")
    records = nillable(result.leadRecordList, raw_list, "getLead leadRecordList")
    return {
        "count": result.count,
        "leadRecordList": None if records is None else [lead_json(r, x) for r, x in zip(records.leadRecord, raw_list.findall("leadRecord"))],
    }


def sync_result_json(call):
    result, raw = call
    raw_record = raw.find("result/leadRecord")
    record = nillable(result.leadRecord, raw_record, "syncLead leadRecord")
    return {
        "leadId": result.leadId,
        "syncStatus": to_json(result.syncStatus),
        "leadRecord": None if record is None else lead_json(record, raw_record),
    }


def sync_multiple_json(call):
    result, _raw = call
    return [to_json(s) for s in result.syncStatus]


def activity_json(call):
    lst, raw = call
    raw_list = raw.find("leadActivityList/activityRecordList")
    records = nillable(lst.activityRecordList, raw_list, "getLeadActivity activityRecordList")
    out = {
        "returnCount": lst.returnCount,
        "remainingCount": lst.remainingCount,
        "newStartPosition": to_json(lst.newStartPosition),
        "activityRecordList": None,
    }
    if records is not None:
        out["activityRecordList"] = []
        for rec, raw_rec in zip(records.activityRecord, raw_list.findall("activityRecord")):
            r = to_json(rec)
            attributes = r.get("activityAttributes")
            r["activityAttributes"] = None if attributes is None else [[a["attrName"], a["attrType"], a["attrValue"]] for a in attributes["attribute"]]
            r["xsiNil"] = nil_children(raw_rec)
            out["activityRecordList"].append(r)
    return out


def scenario_smoke(s, out):
    created = s.call("syncLead", "successSyncLead", leadRecord={"Email": "smoke@example.com"}, returnLead=True)
    out["syncLeadCreate"] = sync_result_json(created)
    out["getLeadById"] = get_lead_json(s.call("getLead", "successGetLead", leadKey={"keyType": "IDNUM", "keyValue": str(created[0].leadId)}))


def scenario_full(s, out):
    email = "ann@example.com"
    # 1. create, returnLead=true: a full record, no foreign id (nil).
    created = s.call(
        "syncLead",
        "successSyncLead",
        leadRecord={"Email": email, "leadAttributeList": attrs(("FirstName", "Ann"), ("Company", "Acme"))},
        returnLead=True,
    )
    out["syncLeadCreate"] = sync_result_json(created)
    lead_id = created[0].leadId
    # 2. update by email, returnLead=false: leadRecord is nil.
    out["syncLeadUpdate"] = sync_result_json(
        s.call(
            "syncLead",
            "successSyncLead",
            leadRecord={"Email": email, "leadAttributeList": attrs(("LastName", "Smith"), ("Unsubscribed", "true"))},
            returnLead=False,
        )
    )
    # 3. a duplicate of the same address (dedupEnabled=false never matches by email).
    out["syncDuplicate"] = sync_multiple_json(
        s.call(
            "syncMultipleLeads",
            "successSyncMultipleLeads",
            leadRecordList={"leadRecord": [{"Email": email, "leadAttributeList": attrs(("FirstName", "Dup"))}]},
            dedupEnabled=False,
        )
    )
    # 4. getLead by EMAIL: both leads.
    out["getLeadByEmail"] = get_lead_json(s.call("getLead", "successGetLead", leadKey={"keyType": "EMAIL", "keyValue": email.upper()}))
    # 5. getLead by IDNUM.
    out["getLeadById"] = get_lead_json(s.call("getLead", "successGetLead", leadKey={"keyType": "IDNUM", "keyValue": str(lead_id)}))
    # 6. syncMultipleLeads: create with a foreign id, a record with an unknown field (FAILED), an update by Id.
    out["syncMultiple"] = sync_multiple_json(
        s.call(
            "syncMultipleLeads",
            "successSyncMultipleLeads",
            leadRecordList={
                "leadRecord": [
                    {"Email": "bob@example.com", "ForeignSysPersonId": "EXT-42", "ForeignSysType": "CUSTOM", "leadAttributeList": attrs(("LeadScore", "7"))},
                    {"Email": "bad@example.com", "leadAttributeList": attrs(("NoSuchField", "x"))},
                    {"Id": lead_id, "leadAttributeList": attrs(("Unsubscribed", "0"), ("City", "Paris"))},
                ]
            },
        )
    )
    out["getLeadWithForeignId"] = get_lead_json(s.call("getLead", "successGetLead", leadKey={"keyType": "EMAIL", "keyValue": "bob@example.com"}))
    # Re-subscribing lead 1 re-subscribes its duplicate too (SPEC D2).
    out["getLeadAfterMultiple"] = get_lead_json(s.call("getLead", "successGetLead", leadKey={"keyType": "EMAIL", "keyValue": email}))
    # 7. activity: all of the first lead's, then a filter that matches nothing (nil list).
    out["activity"] = activity_json(s.call("getLeadActivity", "successGetLeadActivity", leadKey={"keyType": "IDNUM", "keyValue": str(lead_id)}))
    out["activityPage"] = activity_json(
        s.call("getLeadActivity", "successGetLeadActivity", leadKey={"keyType": "IDNUM", "keyValue": str(lead_id)}, batchSize=2)
    )
    out["activityEmpty"] = activity_json(
        s.call(
            "getLeadActivity",
            "successGetLeadActivity",
            leadKey={"keyType": "IDNUM", "keyValue": str(lead_id)},
            activityFilter={"includeTypes": {"activityType": ["VisitWebpage"]}},
        )
    )
    # 8. faults.
    out["faults"] = {
        "unknownEmail": s.expect_fault("getLead unknown email", "getLead", leadKey={"keyType": "EMAIL", "keyValue": "nobody@example.com"}),
        "unknownField": s.expect_fault(
            "syncLead unknown field",
            "syncLead",
            leadRecord={"Email": email, "leadAttributeList": attrs(("pants", "x"))},
            returnLead=False,
        ),
        "badSignature": s.expect_fault(
            "getLead bad signature", "getLead", signature="0" * 40, leadKey={"keyType": "IDNUM", "keyValue": str(lead_id)}
        ),
    }


def selector(s, type_name, **fields):
    """A concrete LeadSelector: zeep writes xsi:type for a value of the derived type."""
    return s.client.get_type("{%s}%s" % (MKTOWS_NS, type_name))(**fields)


def multiple_json(call):
    result, raw = call
    raw_list = raw.find("result/leadRecordList")
    records = nillable(result.leadRecordList, raw_list, "getMultipleLeads leadRecordList")
    return {
        "returnCount": result.returnCount,
        "remainingCount": result.remainingCount,
        "newStreamPosition": result.newStreamPosition or "",
        "leadRecordList": None if records is None else [lead_json(r, x) for r, x in zip(records.leadRecord, raw_list.findall("leadRecord"))],
    }


def changes_json(call):
    result, raw = call
    raw_list = raw.find("result/leadChangeRecordList")
    records = nillable(result.leadChangeRecordList, raw_list, "getLeadChanges leadChangeRecordList")
    out = {
        "returnCount": result.returnCount,
        "remainingCount": result.remainingCount,
        "newStartPosition": to_json(result.newStartPosition),
        "leadChangeRecordList": None,
    }
    if records is not None:
        out["leadChangeRecordList"] = []
        for rec, raw_rec in zip(records.leadChangeRecord, raw_list.findall("leadChangeRecord")):
            r = {k: v for k, v in to_json(rec).items() if not (k == "marketoGUID" and v is None)}
            attributes = r.get("activityAttributes")
            r["activityAttributes"] = None if attributes is None else [[a["attrName"], a["attrType"], a["attrValue"]] for a in attributes["attribute"]]
            r["xsiNil"] = nil_children(raw_rec)
            out["leadChangeRecordList"].append(r)
    return out


def list_json(call):
    result, raw = call
    raw_list = raw.find("result/statusList")
    statuses = nillable(result.statusList, raw_list, "listOperation statusList")
    return {
        "success": result.success,
        "statusList": None if statuses is None else [[st.leadKey.keyType, st.leadKey.keyValue, st.status] for st in statuses.leadStatus],
    }


def id_keys(*ids):
    return {"leadKey": [{"keyType": "IDNUM", "keyValue": str(i)} for i in ids]}


def scenario_operations(s, out, list_name, campaign_name):
    """The other lead operations (scenario.ts expectOperationsScenario), on an empty database
    where the spec declared a list, a campaign (step Unsubscribed=false) and a custom field."""
    ago = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(hours=1)
    out["since"] = ago.isoformat()
    # 1. three leads (1-3), one of them with the custom field.
    out["created"] = sync_multiple_json(
        s.call(
            "syncMultipleLeads",
            "successSyncMultipleLeads",
            leadRecordList={
                "leadRecord": [
                    {"Email": "ann@example.com", "leadAttributeList": attrs(("FirstName", "Ann"), ("FavoriteColor", "blue"))},
                    {"Email": "bob@example.com", "leadAttributeList": attrs(("FirstName", "Bob"))},
                    {"Email": "carl@example.com", "leadAttributeList": attrs(("FirstName", "Carl"))},
                ]
            },
        )
    )
    # 2. getMultipleLeads by a LeadKeySelector with two emails.
    out["multipleByKeys"] = multiple_json(
        s.call(
            "getMultipleLeads",
            "successGetMultipleLeads",
            leadSelector=selector(s, "LeadKeySelector", keyType="EMAIL", keyValues={"stringItem": ["ann@example.com", "carl@example.com"]}),
        )
    )
    # 3. LastUpdateAtSelector one lead at a time, following newStreamPosition to the end.
    pages = [multiple_json(s.call("getMultipleLeads", "successGetMultipleLeads", leadSelector=selector(s, "LastUpdateAtSelector", oldestUpdatedAt=ago), batchSize=1))]
    while pages[-1]["newStreamPosition"] and len(pages) < 10:
        pages.append(multiple_json(s.call("getMultipleLeads", "successGetMultipleLeads", streamPosition=pages[-1]["newStreamPosition"], batchSize=1)))
    for p in pages:
        p["newStreamPosition"] = "<position>" if p["newStreamPosition"] else ""
    out["multipleByUpdate"] = pages
    # 4. unsubscribe carl (a Change Data Value row), then getLeadChanges from a date, then from
    #    the offset with a name filter (2_2 has no activityNameFilter: the type filter instead).
    out["unsubscribe"] = sync_result_json(
        s.call("syncLead", "successSyncLead", leadRecord={"Email": "carl@example.com", "leadAttributeList": attrs(("Unsubscribed", "true"))}, returnLead=False)
    )
    first = changes_json(
        s.call_until(lambda r: r.returnCount + r.remainingCount >= 4, "getLeadChanges", "successGetLeadChanges", startPosition={"oldestCreatedAt": ago}, batchSize=2)
    )
    offset = first["newStartPosition"]["offset"]
    if s.version == "2_2":
        named = {"activityFilter": {"includeTypes": {"activityType": ["ChangeDataValue"]}}}
    else:
        named = {"activityNameFilter": {"stringItem": ["Change Data Value"]}}
    second = changes_json(s.call("getLeadChanges", "successGetLeadChanges", startPosition={"offset": offset}, **named))
    out["changes"] = first
    out["changesNext"] = second
    # 5. listOperation on the spec's list.
    list_key = {"keyType": "MKTOLISTNAME", "keyValue": list_name}

    def list_op(op, *ids):
        return list_json(s.call("listOperation", "successListOperation", listOperation=op, listKey=list_key, listMemberList=id_keys(*ids)))

    out["listAdd"] = list_op("ADDTOLIST", 1, 2)
    out["listIsMember"] = list_op("ISMEMBEROFLIST", 1, 3)
    out["listRemove"] = list_op("REMOVEFROMLIST", 2)
    out["listIsMemberAfterRemove"] = list_op("ISMEMBEROFLIST", 1, 2)
    # 6. a duplicate of ann (lead 4) merged into lead 1.
    out["duplicate"] = sync_multiple_json(
        s.call(
            "syncMultipleLeads",
            "successSyncMultipleLeads",
            leadRecordList={"leadRecord": [{"Email": "ann@example.com", "leadAttributeList": attrs(("FirstName", "Dup"), ("City", "Lyon"))}]},
            dedupEnabled=False,
        )
    )
    merged, raw_merge = s.call(
        "mergeLeads",
        "successMergeLeads",
        winningLeadKeyList=attrs(("IDNUM", "1")),
        losingLeadKeyLists={"keyList": [attrs(("IDNUM", "4"))]},
    )
    # zeep unwraps a response whose result has a single child: here the MergeStatus itself.
    status = merged
    out["merge"] = {
        "winningLeadId": status.winningLeadId,
        "losingLeadIdList": None if status.losingLeadIdList is None else list(status.losingLeadIdList.integerItem),
        "status": status.status,
        "error": status.error,
        "xsiNil": nil_children(raw_merge.find("result/mergeStatus")),
    }
    out["getLeadAfterMerge"] = get_lead_json(s.call("getLead", "successGetLead", leadKey={"keyType": "EMAIL", "keyValue": "ann@example.com"}))
    # 7. the campaign re-subscribes carl.
    campaigns, raw_campaigns = s.call("getCampaignsForSource", "successGetCampaignsForSource", source="MKTOWS")
    records = nillable(campaigns.campaignRecordList, raw_campaigns.find("result/campaignRecordList"), "campaignRecordList")
    out["campaigns"] = {
        "returnCount": campaigns.returnCount,
        "campaignRecordList": None if records is None else [to_json(c) for c in records.campaignRecord],
    }
    found = [c for c in (out["campaigns"]["campaignRecordList"] or []) if c["name"] == campaign_name]
    if len(found) != 1:
        raise Failure("getCampaignsForSource: no campaign named %r" % campaign_name)
    requested, _raw = s.call("requestCampaign", "successRequestCampaign", source="MKTOWS", campaignId=found[0]["id"], leadList={"leadKey": [{"keyType": "EMAIL", "keyValue": "carl@example.com"}]})
    out["requestCampaign"] = requested
    out["getLeadAfterCampaign"] = get_lead_json(s.call("getLead", "successGetLead", leadKey={"keyType": "IDNUM", "keyValue": "3"}))
    # 8. describeMObject and listMObjects.
    described, raw_described = s.call("describeMObject", "successDescribeMObject", objectName="LeadRecord")
    metadata = to_json(described)
    metadata["fieldList"] = [
        dict(f, xsiNil=nil_children(x)) for f, x in zip(metadata["fieldList"]["field"], raw_described.findall("result/metadata/fieldList/field"))
    ]
    metadata["xsiNil"] = nil_children(raw_described.find("result/metadata"))
    out["describeLeadRecord"] = metadata
    objects, _raw = s.call("listMObjects", "successListMObjects")
    out["listMObjects"] = list(objects)


SCENARIOS = {"full": scenario_full, "smoke": scenario_smoke, "operations": scenario_operations}


def main(argv):
    if len(argv) < 6 or argv[5] not in SCENARIOS or len(argv) != (8 if argv[5] == "operations" else 6):
        sys.stderr.write(__doc__)
        return 2
    base_url, user_id, key, version, scenario = argv[1:6]
    try:
        import zeep

        s = Session(base_url, user_id, key, version)
        out = {"client": "zeep %s" % zeep.__version__, "version": version, "scenario": scenario}
        SCENARIOS[scenario](s, out, *argv[6:])
        out["validatedResponses"] = s.validator.count
    except Failure as e:
        sys.stderr.write("mktows_zeep: FAILED: %s\n" % e)
        return 1
    except Exception as e:  # zeep's own parse errors (strict mode) land here
        sys.stderr.write("mktows_zeep: FAILED: %s: %s\n" % (type(e).__name__, e))
        return 1
    sys.stdout.write(json.dumps(out, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
