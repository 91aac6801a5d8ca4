<?php
/**
 * A real client for the mktows server: PHP ext/soap SoapClient in WSDL mode, loading the served
 * WSDL, with the AuthenticationHeader as a SoapHeader, as Marketo's own PHP samples did.
 *
 * Usage: php mktows_client.php BASE_URL USER_ID ENCRYPTION_KEY VERSION SCENARIO [LIST_NAME CAMPAIGN_NAME]
 *   SCENARIO: "full" (every step, on an empty database), "smoke" (create + read back) or
 *   "operations" (getMultipleLeads, getLeadChanges, listOperation, mergeLeads, campaigns,
 *   describeMObject and listMObjects, on an empty database with the named list and campaign).
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

    public function __construct(private string $baseUrl, private string $userId, private string $key, public string $version)
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

    /**
     * Repeats a call (one answer counted) until $done($result): getLeadChanges only shows rows of
     * transactions that have ended, which can lag a moment.
     */
    public function callUntil(callable $done, string $operation, array $params): object
    {
        $deadline = microtime(true) + 15;
        for (;;) {
            $result = $this->call($operation, $params);
            if ($done($result) || microtime(true) > $deadline) {
                return $result;
            }
            $this->checked--;
            usleep(50000);
        }
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

/** A concrete LeadSelector: LeadSelector is abstract, so the value carries its xsi:type. */
function selector(string $type, array $fields): SoapVar
{
    return new SoapVar((object) $fields, SOAP_ENC_OBJECT, $type, MKTOWS_NS);
}

function idKeys(int ...$ids): array
{
    return ['leadKey' => array_map(fn (int $id) => ['keyType' => 'IDNUM', 'keyValue' => (string) $id], $ids)];
}

function multipleJson(object $res): array
{
    $r = $res->result;
    return [
        'returnCount' => $r->returnCount,
        'remainingCount' => $r->remainingCount,
        'newStreamPosition' => (string) $r->newStreamPosition,
        'leadRecordList' => $r->leadRecordList === null ? null : array_map('leadJson', items($r->leadRecordList->leadRecord ?? null)),
    ];
}

function changesJson(object $res): array
{
    $r = $res->result;
    $records = null;
    if ($r->leadChangeRecordList !== null) {
        $records = [];
        foreach (items($r->leadChangeRecordList->leadChangeRecord ?? null) as $c) {
            $rec = get_object_vars($c);
            if ($c->activityAttributes !== null) {
                $rec['activityAttributes'] = [];
                foreach (items($c->activityAttributes->attribute ?? null) as $a) {
                    $rec['activityAttributes'][] = [$a->attrName, $a->attrType, $a->attrValue];
                }
            }
            $records[] = $rec;
        }
    }
    $p = $r->newStartPosition;
    return [
        'returnCount' => $r->returnCount,
        'remainingCount' => $r->remainingCount,
        'newStartPosition' => [
            'latestCreatedAt' => $p->latestCreatedAt,
            'oldestCreatedAt' => $p->oldestCreatedAt,
            'activityCreatedAt' => $p->activityCreatedAt,
            'offset' => $p->offset,
        ],
        'leadChangeRecordList' => $records,
    ];
}

function listJson(object $res): array
{
    $r = $res->result;
    return [
        'success' => $r->success,
        'statusList' => $r->statusList === null ? null : array_map(
            fn (object $st) => [$st->leadKey->keyType, $st->leadKey->keyValue, $st->status],
            items($r->statusList->leadStatus ?? null),
        ),
    ];
}

/**
 * The other lead operations (scenario.ts expectOperationsScenario), on an empty database where
 * the spec declared a list, a campaign (step Unsubscribed=false) and a custom field.
 */
function scenarioOperations(Session $s, array &$out, string $listName, string $campaignName): void
{
    $ago = (new DateTimeImmutable('-1 hour', new DateTimeZone('UTC')))->format(DATE_W3C);
    $out['since'] = $ago;
    // 1. three leads (1-3), one of them with the custom field.
    $out['created'] = syncMultipleJson($s->call('syncMultipleLeads', ['leadRecordList' => ['leadRecord' => [
        ['Email' => 'ann@example.com', 'leadAttributeList' => attrs([['FirstName', 'Ann'], ['FavoriteColor', 'blue']])],
        ['Email' => 'bob@example.com', 'leadAttributeList' => attrs([['FirstName', 'Bob']])],
        ['Email' => 'carl@example.com', 'leadAttributeList' => attrs([['FirstName', 'Carl']])],
    ]]]));
    // 2. getMultipleLeads by a LeadKeySelector with two emails.
    $out['multipleByKeys'] = multipleJson($s->call('getMultipleLeads', [
        'leadSelector' => selector('LeadKeySelector', ['keyType' => 'EMAIL', 'keyValues' => ['stringItem' => ['ann@example.com', 'carl@example.com']]]),
    ]));
    // 3. LastUpdateAtSelector one lead at a time, following newStreamPosition to the end.
    $pages = [multipleJson($s->call('getMultipleLeads', [
        'leadSelector' => selector('LastUpdateAtSelector', ['oldestUpdatedAt' => $ago]),
        'batchSize' => 1,
    ]))];
    while ($pages[count($pages) - 1]['newStreamPosition'] !== '' && count($pages) < 10) {
        $pages[] = multipleJson($s->call('getMultipleLeads', ['streamPosition' => $pages[count($pages) - 1]['newStreamPosition'], 'batchSize' => 1]));
    }
    foreach ($pages as &$p) {
        $p['newStreamPosition'] = $p['newStreamPosition'] === '' ? '' : '<position>';
    }
    unset($p);
    $out['multipleByUpdate'] = $pages;
    // 4. unsubscribe carl (a Change Data Value row), then getLeadChanges from a date, then from
    //    the offset with a name filter (2_2 has no activityNameFilter: the type filter instead).
    $out['unsubscribe'] = syncResultJson($s->call('syncLead', [
        'leadRecord' => ['Email' => 'carl@example.com', 'leadAttributeList' => attrs([['Unsubscribed', 'true']])],
        'returnLead' => false,
    ]));
    $first = $s->callUntil(
        fn (object $r) => $r->result->returnCount + $r->result->remainingCount >= 4,
        'getLeadChanges',
        ['startPosition' => ['oldestCreatedAt' => $ago], 'batchSize' => 2],
    );
    $out['changes'] = changesJson($first);
    $named = $s->version === '2_2'
        ? ['activityFilter' => ['includeTypes' => ['activityType' => ['ChangeDataValue']]]]
        : ['activityNameFilter' => ['stringItem' => ['Change Data Value']]];
    $out['changesNext'] = changesJson($s->call('getLeadChanges', ['startPosition' => ['offset' => $first->result->newStartPosition->offset]] + $named));
    // 5. listOperation on the spec's list.
    $listOp = fn (string $op, int ...$ids) => listJson($s->call('listOperation', [
        'listOperation' => $op,
        'listKey' => ['keyType' => 'MKTOLISTNAME', 'keyValue' => $listName],
        'listMemberList' => idKeys(...$ids),
    ]));
    $out['listAdd'] = $listOp('ADDTOLIST', 1, 2);
    $out['listIsMember'] = $listOp('ISMEMBEROFLIST', 1, 3);
    $out['listRemove'] = $listOp('REMOVEFROMLIST', 2);
    $out['listIsMemberAfterRemove'] = $listOp('ISMEMBEROFLIST', 1, 2);
    // 6. a duplicate of ann (lead 4) merged into lead 1.
    $out['duplicate'] = syncMultipleJson($s->call('syncMultipleLeads', [
        'leadRecordList' => ['leadRecord' => [['Email' => 'ann@example.com', 'leadAttributeList' => attrs([['FirstName', 'Dup'], ['City', 'Lyon']])]]],
        'dedupEnabled' => false,
    ]));
    $m = $s->call('mergeLeads', [
        'winningLeadKeyList' => attrs([['IDNUM', '1']]),
        'losingLeadKeyLists' => ['keyList' => [attrs([['IDNUM', '4']])]],
    ])->result->mergeStatus;
    $out['merge'] = [
        'winningLeadId' => $m->winningLeadId,
        'losingLeadIdList' => $m->losingLeadIdList === null ? null : items($m->losingLeadIdList->integerItem ?? null),
        'status' => $m->status,
        'error' => $m->error,
    ];
    $out['getLeadAfterMerge'] = getLeadJson($s->call('getLead', ['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => 'ann@example.com']]));
    // 7. the campaign re-subscribes carl.
    $c = $s->call('getCampaignsForSource', ['source' => 'MKTOWS'])->result;
    $records = $c->campaignRecordList === null ? null : array_map('get_object_vars', items($c->campaignRecordList->campaignRecord ?? null));
    $out['campaigns'] = ['returnCount' => $c->returnCount, 'campaignRecordList' => $records];
    $found = array_values(array_filter($records ?? [], fn (array $r) => $r['name'] === $campaignName));
    if (count($found) !== 1) {
        throw new Failure("getCampaignsForSource: no campaign named $campaignName");
    }
    $out['requestCampaign'] = $s->call('requestCampaign', [
        'source' => 'MKTOWS',
        'campaignId' => $found[0]['id'],
        'leadList' => ['leadKey' => [['keyType' => 'EMAIL', 'keyValue' => 'carl@example.com']]],
    ])->result->success;
    $out['getLeadAfterCampaign'] = getLeadJson($s->call('getLead', ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => '3']]));
    // 8. describeMObject and listMObjects.
    $meta = $s->call('describeMObject', ['objectName' => 'LeadRecord'])->result->metadata;
    $described = get_object_vars($meta);
    $described['fieldList'] = array_map('get_object_vars', items($meta->fieldList->field ?? null));
    $out['describeLeadRecord'] = $described;
    $out['listMObjects'] = items($s->call('listMObjects', [])->result->objects ?? null);
}

function main(array $argv): int
{
    $scenarios = ['full' => 'scenarioFull', 'smoke' => 'scenarioSmoke', 'operations' => 'scenarioOperations'];
    if (count($argv) < 6 || !isset($scenarios[$argv[5]]) || count($argv) !== ($argv[5] === 'operations' ? 8 : 6)) {
        fwrite(STDERR, "usage: php mktows_client.php BASE_URL USER_ID ENCRYPTION_KEY VERSION full|smoke|operations [LIST_NAME CAMPAIGN_NAME]\n");
        return 2;
    }
    [, $baseUrl, $userId, $key, $version, $scenario] = $argv;
    try {
        $s = new Session($baseUrl, $userId, $key, $version);
        $out = ['client' => 'php ' . PHP_VERSION . ' SoapClient', 'version' => $version, 'scenario' => $scenario];
        $scenarios[$scenario]($s, $out, ...array_slice($argv, 6));
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
