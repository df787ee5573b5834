#!/usr/bin/env bash
# Runs the shared ASL workloads (W1-W6) on aws-local-stepfunctions and on stepwise, on the
# same machine, alternating the two, REPS times each; prints a markdown table of medians.
#
# Usage: scripts/bench/peers.sh [w1 w2 w2task w3 w3dist w4 w5 w6]
# w3dist runs W3 on stepwise as a Distributed Map (w3-map-distributed.asl.json here) and
# on the peer as the inline Map of w3.
# Environment:
#   REPS=5                 runs per engine and workload (median reported; W6 runs min(REPS,3))
#   RUN_TIMEOUT=300        seconds allowed for one run
#   STEPWISE_PEERS=dir     the peer kit (setup-peers.sh, drivers/, workloads/)
#                          default /work/shared/bench/peers
#   PEER_DIR=/tmp/peerbench  where setup-peers.sh installs the peers
#   STEPWISE_BIN=path      a built stepwise (default: go build into a temp dir)
#   OUT=dir                keep the raw JSON lines there (default: a temp dir, printed)
#   N_EXEC, N_CONC, N_ITEMS  sizes of W1/W4, W5, W3 (defaults 1000, 10000, 10000), passed
#                          to both engines
set -u
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
REPS="${REPS:-5}"
RUN_TIMEOUT="${RUN_TIMEOUT:-300}"
STEPWISE_PEERS="${STEPWISE_PEERS:-/work/shared/bench/peers}"
export PEER_DIR="${PEER_DIR:-/tmp/peerbench}"
export N_EXEC="${N_EXEC:-1000}" N_CONC="${N_CONC:-10000}" N_ITEMS="${N_ITEMS:-10000}"
OUT="${OUT:-$(mktemp -d /tmp/stepwise-bench.XXXXXX)}"
mkdir -p "$OUT"
raw="$OUT/raw.jsonl"
: >"$raw"
wls=("$@")
[ ${#wls[@]} -eq 0 ] && wls=(w1 w2 w2task w3 w3dist w4 w5 w6)
wl_dir="$STEPWISE_PEERS/workloads"

log() { echo "$*" >&2; }

# --- stepwise -------------------------------------------------------------------------
sw="${STEPWISE_BIN:-}"
if [ -z "$sw" ]; then
  sw="$OUT/stepwise"
  if ! (cd "$root" && timeout 600 go build -o "$sw" ./cmd/stepwise); then
    log "peers.sh: cannot build stepwise (set STEPWISE_BIN to a built binary)"
    exit 1
  fi
fi
if [ ! -d "$wl_dir" ]; then
  log "peers.sh: no workloads at $wl_dir (set STEPWISE_PEERS); nothing to run"
  exit 0
fi

# --- the peer ---------------------------------------------------------------------------
peer=ok
if ! command -v node >/dev/null 2>&1; then
  log "peers.sh: node is not installed: skipping aws-local-stepfunctions, stepwise only"
  peer=""
elif [ ! -d "$PEER_DIR/node_modules/aws-local-stepfunctions" ]; then
  if [ -f "$STEPWISE_PEERS/setup-peers.sh" ] && command -v npm >/dev/null 2>&1; then
    log "peers.sh: installing the peers under $PEER_DIR (setup-peers.sh; its Go peer may fail, that is fine)"
    timeout 900 bash "$STEPWISE_PEERS/setup-peers.sh" >"$OUT/setup-peers.log" 2>&1 ||
      log "peers.sh: setup-peers.sh failed, see $OUT/setup-peers.log"
  fi
  if [ ! -d "$PEER_DIR/node_modules/aws-local-stepfunctions" ]; then
    log "peers.sh: aws-local-stepfunctions is not available: stepwise only"
    peer=""
  fi
fi

# --- workload arguments for stepwise ------------------------------------------------------
w3in="$OUT/w3-input.json"
w3out="$OUT/w3-expected.json"
awk -v n="$N_ITEMS" 'BEGIN{printf "{\"items\":["; for(k=0;k<n;k++) printf "%s{\"n\":%d}", (k?",":""), k; print "]}"}' >"$w3in"
awk -v n="$N_ITEMS" 'BEGIN{printf "["; for(k=0;k<n;k++) printf "%s{\"n\":%d,\"sq\":%d}", (k?",":""), k, k; print "]"}' >"$w3out"
branch='{"v":1,"last":{"copy":1,"step":9}}'
w4out="[$branch$(printf ",$branch%.0s" 1 2 3 4 5 6 7 8 9)]"

sw_args() { # workload -> the stepwise bench arguments, in the array args
  case "$1" in
    w1) args=("$wl_dir/w1-chain.asl.json" --executions "$N_EXEC" --input '{"v":1}' --expect '{"v":1,"last":{"copy":1,"step":99}}') ;;
    w2) args=("$wl_dir/w2-choice-loop.asl.json" --expect '{"i":1000}') ;;
    w2task) args=("$wl_dir/w2-choice-loop-task.asl.json" --task Incr=incr --expect '{"i":1000}') ;;
    # 10,000 iterations write about 80,000 history events: over a Standard execution's
    # 25,000-event limit on AWS, so the Map runs as an Express execution.
    w3) args=("$wl_dir/w3-map.asl.json" --type EXPRESS --input-file "$w3in" --expect-file "$w3out") ;;
    w3dist) args=("$here/w3-map-distributed.asl.json" --input-file "$w3in" --expect-file "$w3out") ;;
    w4) args=("$wl_dir/w4-parallel.asl.json" --executions "$N_EXEC" --input '{"v":1}' --expect "$w4out") ;;
    w5) args=("$wl_dir/w5-chain5.asl.json" --concurrent --executions "$N_CONC" --input '{"v":1}' --expect '{"v":1,"last":{"copy":1,"step":4}}') ;;
    w6) args=("$wl_dir/w6-retry.asl.json" --task Flaky=flaky --expect '{"ok":true,"attempts":3}') ;;
    *) return 1 ;;
  esac
}

# field LINE NAME: a scalar field of a flat JSON line.
field() { grep -o "\"$2\":[^,}]*" <<<"$1" | head -n1 | cut -d: -f2- | tr -d '"'; }
gaps() { grep -o '"retry_gaps_ms":\[[^]]*\]' <<<"$1" | head -n1 | cut -d: -f2; }
median() { # numbers on stdin
  sort -g | awk '{a[NR]=$1} END{if(NR==0){print "-"; exit} if(NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}

run_one() { # engine workload -> one JSON line appended to $raw
  local eng=$1 w=$2 line
  if [ "$eng" = peer ]; then
    # One in-process run for single-execution workloads, so the peak RSS is that run's.
    line=$(cd "$STEPWISE_PEERS" && REPS_INPROC=1 timeout "$RUN_TIMEOUT" node drivers/als.js "${w%dist}" 2>/dev/null | tail -n1)
  else
    sw_args "$w"
    line=$(timeout "$RUN_TIMEOUT" "$sw" bench "${args[@]}" --label "$w" 2>/dev/null | tail -n1)
  fi
  [ -z "$line" ] && line="{\"ok\":false,\"error\":\"no output (timeout ${RUN_TIMEOUT}s or crash)\"}"
  echo "{\"side\":\"$eng\",\"wl\":\"$w\",\"line\":$line}" >>"$raw"
  echo "$line"
}

fmt() { # number -> rounded for the table
  awk -v x="$1" 'BEGIN{ if (x=="-"||x=="") {print "-"; exit} if (x>=100) printf "%.0f", x; else if (x>=10) printf "%.1f", x; else printf "%.2f", x }'
}
ratio() { # a b -> a/b
  awk -v a="$1" -v b="$2" 'BEGIN{ if (a=="-"||b=="-"||b==0) {print "-"; exit} r=a/b; if (r>=10) printf "%.0fx", r; else printf "%.1fx", r }'
}

table="| workload | figure (median of $REPS) | aws-local-stepfunctions | stepwise | stepwise better by | peak RSS MiB peer / stepwise |
|---|---|---|---|---|---|"
row() { table+=$'\n'"$*"; }
for w in "${wls[@]}"; do
  if ! sw_args "$w"; then
    log "peers.sh: unknown workload $w"
    continue
  fi
  reps=$REPS
  [ "$w" = w6 ] && [ "$reps" -gt 3 ] && reps=3
  declare -a pw=() sw_=() pt=() st=() pe=() se=() pr=() sr=()
  perr="" serr="" pg="" sg=""
  for r in $(seq 1 "$reps"); do
    for side in peer stepwise; do
      [ "$side" = peer ] && [ -z "$peer" ] && continue
      line=$(run_one "$side" "$w")
      log "$w rep$r $side: $(cut -c1-200 <<<"$line")"
      if [ "$(field "$line" ok)" != true ]; then
        e="$(field "$line" error)"
        [ "$side" = peer ] && perr="${e:-failed}" || serr="${e:-failed}"
        continue
      fi
      rss=$(field "$line" maxrss_kb_inproc)
      [ -z "$rss" ] && rss=$(field "$line" maxrss_kb)
      if [ "$side" = peer ]; then
        pw+=("$(field "$line" wall_ms)"); pt+=("$(field "$line" trans_per_s)"); pe+=("$(field "$line" exec_per_s)"); pr+=("$rss")
        pg="$(gaps "$line")"
      else
        sw_+=("$(field "$line" wall_ms)"); st+=("$(field "$line" trans_per_s)"); se+=("$(field "$line" exec_per_s)"); sr+=("$rss")
        sg="$(gaps "$line")"
      fi
    done
  done
  med() { printf '%s\n' "$@" | grep -v '^$' | median; }
  mpw=$(med "${pw[@]}"); msw=$(med "${sw_[@]}")
  mpt=$(med "${pt[@]}"); mst=$(med "${st[@]}")
  mpe=$(med "${pe[@]}"); mse=$(med "${se[@]}")
  mpr=$(awk -v k="$(med "${pr[@]}")" 'BEGIN{ if (k=="-") print "-"; else printf "%.0f", k/1024 }')
  msr=$(awk -v k="$(med "${sr[@]}")" 'BEGIN{ if (k=="-") print "-"; else printf "%.0f", k/1024 }')
  p_note=""; s_note=""
  [ -n "$perr" ] && p_note=" (failed: ${perr:0:80})"
  [ -n "$serr" ] && s_note=" (failed: ${serr:0:80})"
  [ -z "$peer" ] && p_note=" (not run)"
  case "$w" in
    w1)
      row "| $w chain | states/s | $(fmt "$mpt")$p_note | $(fmt "$mst")$s_note | $(ratio "$mst" "$mpt") | $mpr / $msr |" ;;
    w4 | w5)
      row "| $w | executions/s | $(fmt "$mpe")$p_note | $(fmt "$mse")$s_note | $(ratio "$mse" "$mpe") | $mpr / $msr |" ;;
    w6)
      row "| $w retry | wall ms, retry gaps ms | $(fmt "$mpw") $pg$p_note | $(fmt "$msw") $sg$s_note | - | $mpr / $msr |" ;;
    *)
      row "| $w | wall ms (one execution) | $(fmt "$mpw")$p_note | $(fmt "$msw")$s_note | $(ratio "$mpw" "$msw") | $mpr / $msr |" ;;
  esac
  unset -f med
done

# W6 again through `stepwise run` with mocked responses, at a tenth of real time: the
# retry waits (1 s, then 2 s) must shrink with --time-scale.
if printf '%s\n' "${wls[@]}" | grep -qx w6; then
  for ts in 1 0.1; do
    t0=$(date +%s%N)
    st=$(cd "$OUT" && timeout "$RUN_TIMEOUT" "$sw" run "$wl_dir/w6-retry.asl.json" --mock-config "$here/w6-mock.json" \
      --test-case Flaky --time-scale "$ts" --output json 2>/dev/null | grep -o '"status":"[A-Z_]*"' | cut -d'"' -f4)
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    row "| w6 via \`stepwise run --time-scale $ts\` | process wall ms | - | $ms (${st:-no result}) | - | - |"
  done
fi
echo "$table"
log "peers.sh: raw results in $raw"
