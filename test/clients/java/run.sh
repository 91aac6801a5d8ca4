#!/bin/sh
# Generates JAX-WS stubs from the SERVED WSDL (as Marketo's Java SDK was generated: wsimport
# -XadditionalHeaders, package com.marketo.mktows), compiles MktowsJavaClient.java against
# Debian's JAX-WS RI jars, and runs it. Needs Debian's `jaxws` package (wsimport, libjaxws-java)
# and a JDK (javac, java).
#
# Usage: run.sh BASE_URL USER_ID ENCRYPTION_KEY VERSION
set -eu
if [ $# -ne 4 ]; then
  echo "usage: run.sh BASE_URL USER_ID ENCRYPTION_KEY VERSION" >&2
  exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
JARS=/usr/share/java
CP="$JARS/jaxws-rt.jar:$JARS/jaxws-api.jar:$JARS/jws-api.jar:$JARS/jaxb-api.jar:$JARS/jaxb-impl.jar:$JARS/javax.xml.soap-api.jar:$JARS/saaj-impl.jar:$JARS/javax.activation.jar"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mktows-java.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/src" "$WORK/classes"
wsimport -quiet -XadditionalHeaders -Xnocompile -keep -s "$WORK/src" -d "$WORK/src" -p com.marketo.mktows "$1/soap/mktows/$4?WSDL" >&2 \
  || { echo "mktows_java: FAILED: wsimport rejected $1/soap/mktows/$4?WSDL" >&2; exit 1; }
find "$WORK/src" -name '*.java' > "$WORK/sources"
echo "$HERE/MktowsJavaClient.java" >> "$WORK/sources"
javac -nowarn -encoding UTF-8 -cp "$CP" -d "$WORK/classes" @"$WORK/sources" >&2 \
  || { echo "mktows_java: FAILED: javac" >&2; exit 1; }
exec java -cp "$WORK/classes:$CP" MktowsJavaClient "$@"
