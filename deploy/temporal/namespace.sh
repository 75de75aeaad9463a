#!/bin/sh
# One-shot (temporalio/admin-tools): once the server answers, create igny8's namespace and the
# search attributes runs are filtered by in the UI. Safe to run again.
set -eu
NS="${TEMPORAL_NAMESPACE:-default}"
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  echo "waiting for Temporal at $TEMPORAL_ADDRESS"; sleep 2
done
temporal operator namespace describe -n "$NS" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 \
  || temporal operator namespace create -n "$NS" --retention 30d --address "$TEMPORAL_ADDRESS"
for attr in Igny8AccountId:Int Igny8SiteId:Int Igny8Stage:Keyword Igny8Status:Keyword; do
  temporal operator search-attribute create -n "$NS" --address "$TEMPORAL_ADDRESS" \
    --name "${attr%%:*}" --type "${attr##*:}" 2>/dev/null || echo "search attribute ${attr%%:*} exists"
done
echo "namespace $NS ready"
