#!/usr/bin/perl
# A Perl integration as Perl integrations called Marketo: SOAP::Lite without the WSDL, the
# AuthenticationHeader signed by hand (HMAC-SHA1 of requestTimestamp . mktowsUserId), SOAP::Lite's
# own serialisation (xsi:type on every value, its own prefixes). Prints one JSON object per call.
# Usage: mktows_soaplite.pl <base url> <version> <user id> <encryption key>
use strict;
use warnings;
use SOAP::Lite;
use Digest::SHA qw(hmac_sha1_hex);
use POSIX qw(strftime);
use JSON::PP;

my ($base, $version, $user, $key) = @ARGV;
die "usage: mktows_soaplite.pl <base url> <version> <user id> <key>\n" unless $key;
my $NS = "http://www.marketo.com/mktows/";
my $json = JSON::PP->new->canonical;

my $soap = SOAP::Lite->proxy("$base/soap/mktows/$version")->ns($NS, "ns1")->on_action(sub { "" });
$soap->on_fault(sub { my ($s, $res) = @_; return ref $res ? $res : die "transport: " . $s->transport->status . "\n"; });

sub auth_header {
  my ($k) = @_;
  my $ts = strftime("%Y-%m-%dT%H:%M:%S+00:00", gmtime);
  return SOAP::Header->name("ns1:AuthenticationHeader")->value(\SOAP::Data->value(
    SOAP::Data->name(mktowsUserId => $user),
    SOAP::Data->name(requestSignature => hmac_sha1_hex($ts . $user, $k)),
    SOAP::Data->name(requestTimestamp => $ts),
  ));
}

sub record {
  my (%r) = @_;
  my @attrs = map { SOAP::Data->name(attribute => \SOAP::Data->value(SOAP::Data->name(attrName => $_), SOAP::Data->name(attrValue => $r{attrs}{$_}))) } sort keys %{ $r{attrs} || {} };
  return \SOAP::Data->value(
    ($r{email} ? (SOAP::Data->name(Email => $r{email})) : ()),
    SOAP::Data->name(leadAttributeList => \SOAP::Data->value(@attrs)),
  );
}

sub out { print $json->encode($_[0]), "\n"; }

sub fault_of {
  my ($som) = @_;
  return undef unless $som->fault;
  return { faultstring => $som->faultstring, code => $som->valueof("//detail/serviceException/code") // "" };
}

# syncLead: a new lead, unsubscribed.
my $som = $soap->call("paramsSyncLead",
  SOAP::Data->name(leadRecord => record(email => "perl\@example.com", attrs => { FirstName => "Larry", Unsubscribed => "true" })),
  SOAP::Data->name(returnLead => "true")->type("boolean"), auth_header($key));
if (my $f = fault_of($som)) { out({ op => "syncLead", fault => $f }); exit 1; }
out({ op => "syncLead", leadId => $som->valueof("//result/leadId"), status => $som->valueof("//result/syncStatus/status") });

# getLead by EMAIL.
$som = $soap->call("paramsGetLead", SOAP::Data->name(leadKey => \SOAP::Data->value(SOAP::Data->name(keyType => "EMAIL"), SOAP::Data->name(keyValue => "PERL\@example.com"))), auth_header($key));
if (my $f = fault_of($som)) { out({ op => "getLead", fault => $f }); exit 1; }
my %attrs;
for my $a ($som->valueof("//leadRecord/leadAttributeList/attribute")) { $attrs{ $a->{attrName} } = $a->{attrValue}; }
out({ op => "getLead", count => $som->valueof("//result/count"), email => $som->valueof("//leadRecord/Email"), attributes => \%attrs });

# syncMultipleLeads: a duplicate of the unsubscribed address (D3) and another lead.
$som = $soap->call("paramsSyncMultipleLeads",
  SOAP::Data->name(leadRecordList => \SOAP::Data->value(
    SOAP::Data->name(leadRecord => record(email => "perl2\@example.com", attrs => { FirstName => "Two" })),
    SOAP::Data->name(leadRecord => record(email => "Perl\@Example.com", attrs => { LastName => "Wall" })),
  )),
  SOAP::Data->name(dedupEnabled => "true")->type("boolean"), auth_header($key));
if (my $f = fault_of($som)) { out({ op => "syncMultipleLeads", fault => $f }); exit 1; }
out({ op => "syncMultipleLeads", statuses => [ map { $_->{status} } $som->valueof("//result/syncStatusList/syncStatus") ] });

# Faults: an unknown lead (20103) and a wrong key (20014).
$som = $soap->call("paramsGetLead", SOAP::Data->name(leadKey => \SOAP::Data->value(SOAP::Data->name(keyType => "EMAIL"), SOAP::Data->name(keyValue => "nobody\@example.com"))), auth_header($key));
out({ op => "getLead unknown", fault => fault_of($som) });
$som = $soap->call("paramsGetLead", SOAP::Data->name(leadKey => \SOAP::Data->value(SOAP::Data->name(keyType => "EMAIL"), SOAP::Data->name(keyValue => "perl\@example.com"))), auth_header("wrong-key-0123456789"));
out({ op => "getLead wrong key", fault => fault_of($som) });
out({ client => "perl $^V SOAP::Lite $SOAP::Lite::VERSION" });
