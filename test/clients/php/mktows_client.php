<?php
/**
 * A real client for the mktows server: PHP ext/soap SoapClient in WSDL mode, loading the served
 * WSDL, with the AuthenticationHeader as a SoapHeader, as Marketo's own PHP samples did.
 *
 * Usage: php mktows_client.php BASE_URL USER_ID ENCRYPTION_KEY VERSION SCENARIO
 *   SCENARIO: "full" (every step, on an empty database) or "smoke" (create + read back).
 *
 * Prints one JSON object on stdout. On any failure (an unexpected fault, a missing fault, an
 * unexpected HTTP status, a response SoapClient cannot read) it prints
 * "mktows_client.php: FAILED: <why>" on stderr and exits 1.
 */
declare(strict_types=1);

const MKTOWS_NS = 'http://www.marketo.com/mktows/';

final class Failure extends Exception
{
}

final class Session
{
    public SoapClient $client;
    public int $checked = 0;

    public function __construct(private string $baseUrl, private string $userId, private string $key, private string $version)
    {
        $endpoint = rtrim($baseUrl, '/') . '/soap/mktows/' . $version;
        try {
            $this->client = new SoapClient($endpoint . '?WSDL', [
                'trace' => 1,
                'exceptions' => true,
                'cache_wsdl' => WSDL_CACHE_NONE,
                'soap_version' => SOAP_1_1,
                'connection_timeout' => 30,
            ]);
        } catch (SoapFault $f) {
            throw new Failure("loading the WSDL failed: {$f->getMessage()}");
        }
        $functions = $this->client->__getFunctions();
        if (count($functions) !== 23) {
            throw new Failure('the WSDL describes ' . count($functions) . ' operations, expected 23');
        }
    }

    public function header(?string $signature = null): SoapHeader
    {
        $timestamp = (new DateTimeImmutable('now', new DateTimeZone('UTC')))->format(DATE_W3C);
        $good = hash_hmac('sha1', $timestamp . $this->userId, $this->key);
        return new SoapHeader(MKTOWS_NS, 'AuthenticationHeader', [
            'mktowsUserId' => $this->userId,
            'requestSignature' => $signature ?? $good,
            'requestTimestamp' => $timestamp,
        ]);
    }

    private function httpStatus(): int
    {
        $headers = (string) $this->client->__getLastResponseHeaders();
        if (!preg_match('#^HTTP/\S+ (\d{3})#', $headers, $m)) {
            throw new Failure("no HTTP status line in the response headers: $headers");
        }
        return (int) $m[1];
    }

    /** Calls an operation (document/literal bare: one argument, the params element's content). */
    public function call(string $operation, array $params): object
    {
        try {
            $result = $this->client->__soapCall($operation, [$params], null, $this->header());
        } catch (SoapFault $f) {
            throw new Failure("$operation: unexpected fault {$f->faultcode} {$f->getMessage()}\n" . $this->client->__getLastResponse());
        }
        $status = $this->httpStatus();
        if ($status !== 200) {
            throw new Failure("$operation: HTTP $status, expected 200");
        }
        if (!is_object($result)) {
            throw new Failure("$operation: SoapClient read " . var_export($result, true));
        }
        $this->checked++;
        return $result;
    }

    /** Calls and expects a Marketo fault; returns what SoapClient made of it. */
    public function expectFault(string $what, string $operation, array $params, ?string $signature = null): array
    {
        try {
            $this->client->__soapCall($operation, [$params], null, $this->header($signature));
        } catch (SoapFault $f) {
            $status = $this->httpStatus();
            if ($status !== 500) {
                throw new Failure("$what: HTTP $status for a fault, expected 500");
            }
            $e = $f->detail->serviceException ?? null;
            if (!is_object($e) || !isset($e->code, $e->name, $e->message)) {
                throw new Failure("$what: the fault has no detail->serviceException{name,message,code}: " . var_export($f->detail ?? null, true));
            }
            $this->checked++;
            return [
                'faultcode' => $f->faultcode,
                'faultstring' => $f->faultstring,
                'code' => $e->code,
                'name' => $e->name,
                'message' => $e->message,
            ];
        }
        throw new Failure("$what: $operation answered without a fault");
    }
}

/** One element or several: SoapClient gives an object for one and an array for more. */
function items($v): array
{
    if ($v === null) {
        return [];
    }
    return is_array($v) ? $v : [$v];
}

function attrs(array $pairs): array
{
    $out = [];
    foreach ($pairs as [$n, $v]) {
        $out[] = ['attrName' => $n, 'attrValue' => $v];
    }
    return ['attribute' => $out];
}

function leadJson(?object $r): ?array
{
    if ($r === null) {
        return null;
    }
    $attributes = null;
    if ($r->leadAttributeList !== null) {
        $attributes = [];
        foreach (items($r->leadAttributeList->attribute ?? null) as $a) {
            $attributes[$a->attrName] = ['type' => $a->attrType, 'value' => $a->attrValue];
        }
    }
    return [
        'Id' => $r->Id,
        'Email' => $r->Email,
        'ForeignSysPersonId' => $r->ForeignSysPersonId,
        'ForeignSysType' => $r->ForeignSysType,
        'leadAttributeList' => $attributes,
    ];
}

function getLeadJson(object $res): array
{
    $list = $res->result->leadRecordList;
    return [
        'count' => $res->result->count,
        'leadRecordList' => $list === null ? null : array_map('leadJson', items($list->leadRecord ?? null)),
    ];
}

function syncStatusJson(object $s): array
{
    return ['leadId' => $s->leadId, 'status' => $s->status, 'error' => $s->error];
}

function syncResultJson(object $res): array
{
    return [
        'leadId' => $res->result->leadId,
        'syncStatus' => syncStatusJson($res->result->syncStatus),
        'leadRecord' => leadJson($res->result->leadRecord),
    ];
}

function syncMultipleJson(object $res): array
{
    return array_map('syncStatusJson', items($res->result->syncStatusList->syncStatus ?? null));
}

function activityJson(object $res): array
{
    $l = $res->leadActivityList;
    $records = null;
    if ($l->activityRecordList !== null) {
        $records = [];
        foreach (items($l->activityRecordList->activityRecord ?? null) as $r) {
            $attributes = null;
            if ($r->activityAttributes !== null) {
                $attributes = [];
                foreach (items($r->activityAttributes->attribute ?? null) as $a) {
                    $attributes[] = [$a->attrName, $a->attrType, $a->attrValue];
                }
            }
            $rec = [];
            foreach (get_object_vars($r) as $k => $v) {
                $rec[$k] = $v;
            }
            $rec['activityAttributes'] = $attributes;
            $records[] = $rec;
        }
    }
    $p = $l->newStartPosition;
    return [
        'returnCount' => $l->returnCount,
        'remainingCount' => $l->remainingCount,
        'newStartPosition' => [
            'latestCreatedAt' => $p->latestCreatedAt,
            'oldestCreatedAt' => $p->oldestCreatedAt,
            'activityCreatedAt' => $p->activityCreatedAt,
            'offset' => $p->offset,
        ],
        'activityRecordList' => $records,
    ];
}

function scenarioSmoke(Session $s, array &$out): void
{
    $created = $s->call('syncLead', ['leadRecord' => ['Email' => 'smoke@example.com'], 'returnLead' => true]);
    $out['syncLeadCreate'] = syncResultJson($created);
    $out['getLeadById'] = getLeadJson($s->call('getLead', ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => (string) $created->result->leadId]]));
}

function scenarioFull(Session $s, array &$out): void
{
    $email = 'ann@example.com';
    // 1. create, returnLead=true: a full record, no foreign id (nil).
    $created = $s->call('syncLead', [
        'leadRecord' => ['Email' => $email, 'leadAttributeList' => attrs([['FirstName', 'Ann'], ['Company', 'Acme']])],
        'returnLead' => true,
    ]);
    $out['syncLeadCreate'] = syncResultJson($created);
    $leadId = (string) $created->result->leadId;
    // 2. update by email, returnLead=false: leadRecord is nil.
    $out['syncLeadUpdate'] = syncResultJson($s->call('syncLead', [
        'leadRecord' => ['Email' => $email, 'leadAttributeList' => attrs([['LastName', 'Smith'], ['Unsubscribed', 'true']])],
        'returnLead' => false,
    ]));
    // 3. a duplicate of the same address (dedupEnabled=false never matches by email).
    $out['syncDuplicate'] = syncMultipleJson($s->call('syncMultipleLeads', [
        'leadRecordList' => ['leadRecord' => [['Email' => $email, 'leadAttributeList' => attrs([['FirstName', 'Dup']])]]],
        'dedupEnabled' => false,
    ]));
    // 4. getLead by EMAIL: both leads.  5. getLead by IDNUM.
    $out['getLeadByEmail'] = getLeadJson($s->call('getLead', ['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => strtoupper($email)]]));
    $out['getLeadById'] = getLeadJson($s->call('getLead', ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => $leadId]]));
    // 6. syncMultipleLeads: create with a foreign id, a record with an unknown field (FAILED), an update by Id.
    $out['syncMultiple'] = syncMultipleJson($s->call('syncMultipleLeads', [
        'leadRecordList' => ['leadRecord' => [
            ['Email' => 'bob@example.com', 'ForeignSysPersonId' => 'EXT-42', 'ForeignSysType' => 'CUSTOM', 'leadAttributeList' => attrs([['LeadScore', '7']])],
            ['Email' => 'bad@example.com', 'leadAttributeList' => attrs([['NoSuchField', 'x']])],
            ['Id' => (int) $leadId, 'leadAttributeList' => attrs([['Unsubscribed', '0'], ['City', 'Paris']])],
        ]],
    ]));
    $out['getLeadWithForeignId'] = getLeadJson($s->call('getLead', ['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => 'bob@example.com']]));
    // Re-subscribing lead 1 re-subscribes its duplicate too (SPEC D2).
    $out['getLeadAfterMultiple'] = getLeadJson($s->call('getLead', ['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => $email]]));
    // 7. activity: all of the first lead's, a page of 2, then a filter that matches nothing (nil list).
    $out['activity'] = activityJson($s->call('getLeadActivity', ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => $leadId]]));
    $out['activityPage'] = activityJson($s->call('getLeadActivity', ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => $leadId], 'batchSize' => 2]));
    $out['activityEmpty'] = activityJson($s->call('getLeadActivity', [
        'leadKey' => ['keyType' => 'IDNUM', 'keyValue' => $leadId],
        'activityFilter' => ['includeTypes' => ['activityType' => ['VisitWebpage']]],
    ]));
    // 8. faults.
    $out['faults'] = [
        'unknownEmail' => $s->expectFault('getLead unknown email', 'getLead', ['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => 'nobody@example.com']]),
        'unknownField' => $s->expectFault('syncLead unknown field', 'syncLead', [
            'leadRecord' => ['Email' => $email, 'leadAttributeList' => attrs([['pants', 'x']])],
            'returnLead' => false,
        ]),
        'badSignature' => $s->expectFault('getLead bad signature', 'getLead', ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => $leadId]], str_repeat('0', 40)),
    ];
}

function main(array $argv): int
{
    $scenarios = ['full' => 'scenarioFull', 'smoke' => 'scenarioSmoke'];
    if (count($argv) !== 6 || !isset($scenarios[$argv[5]])) {
        fwrite(STDERR, "usage: php mktows_client.php BASE_URL USER_ID ENCRYPTION_KEY VERSION full|smoke\n");
        return 2;
    }
    [, $baseUrl, $userId, $key, $version, $scenario] = $argv;
    try {
        $s = new Session($baseUrl, $userId, $key, $version);
        $out = ['client' => 'php ' . PHP_VERSION . ' SoapClient', 'version' => $version, 'scenario' => $scenario];
        $scenarios[$scenario]($s, $out);
        $out['checkedResponses'] = $s->checked;
    } catch (Failure $e) {
        fwrite(STDERR, "mktows_client.php: FAILED: {$e->getMessage()}\n");
        return 1;
    } catch (Throwable $e) {
        fwrite(STDERR, 'mktows_client.php: FAILED: ' . get_class($e) . ": {$e->getMessage()}\n");
        return 1;
    }
    echo json_encode($out, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES), "\n";
    return 0;
}

exit(main($argv));
