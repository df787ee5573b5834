#!/usr/bin/env bash
# The whole ML pipeline on a fresh clone, for real: builds bin/stepwise, starts
# `stepwise server` on a free port with a temporary data directory, generates a housing
# data set, uploads it and the pipeline's scripts with the aws CLI, and runs
# examples/ml-pipeline: preprocessing, training, evaluation, deployment of a good enough
# model, an endpoint; then asks the endpoint for a prediction.
#
#   scripts/demo.sh [--keep] [--min-r2 R2]
#
#   --keep        leave the server running at the end
#   --min-r2 R2   deploy only a model whose test R² is at least R2 (default 0.7); above
#                 what the model reaches (try 0.99) the pipeline stops before deploying
#
# Needs: go, the aws CLI, python3, curl, and the job runtime `make deps` installs (bubblewrap,
# Debian's python3 with scikit-learn and pandas). Exits non-zero on any failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EXAMPLE="$ROOT/examples/ml-pipeline"
KEEP=0
MIN_R2=0.7
while (($#)); do
	case "$1" in
	--keep) KEEP=1 ;;
	--min-r2)
		[[ $# -ge 2 && "$2" =~ ^[0-9]*\.?[0-9]+$ ]] || { echo "demo: --min-r2 needs a number" >&2; exit 2; }
		MIN_R2=$2
		shift
		;;
	-h | --help)
		sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "demo: unknown argument $1" >&2
		exit 2
		;;
	esac
	shift
done

if [[ -t 1 ]]; then
	BOLD=$'\e[1m' DIM=$'\e[2m' GREEN=$'\e[32m' RED=$'\e[31m' RESET=$'\e[0m'
else
	BOLD='' DIM='' GREEN='' RED='' RESET=''
fi
step() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$RESET"; }
die() {
	printf '%sdemo: %s%s\n' "$RED" "$*" "$RESET" >&2
	exit 1
}

for tool in go aws python3 curl tar; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
if ! /usr/bin/python3 -c 'import sklearn, pandas, joblib' 2>/dev/null || ! command -v bwrap >/dev/null; then
	die "jobs need bubblewrap and Debian's python3 with scikit-learn and pandas: run 'make deps' first"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stepwise-demo.XXXXXX")
SERVER_PID=''
cleanup() {
	local code=$?
	if [[ -n "$SERVER_PID" && $KEEP == 0 ]]; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		{ wait "$SERVER_PID" || true; } 2>/dev/null
	fi
	if [[ $code != 0 && -s "$WORK/server.log" ]]; then
		printf '\n%sserver log (last 40 lines):%s\n' "$DIM" "$RESET" >&2
		tail -n 40 "$WORK/server.log" >&2
	fi
	if [[ $KEEP == 0 ]]; then
		rm -rf "$WORK"
	fi
	exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Building bin/stepwise"
(cd "$ROOT" && go build -o bin/stepwise ./cmd/stepwise)

step "Starting stepwise server"
: >"$WORK/banner.txt" # before the server's shell opens it, for the loop below
STEPWISE_ACCESS_KEY_ID='' STEPWISE_SECRET_ACCESS_KEY='' \
	"$ROOT/bin/stepwise" server --listen 127.0.0.1:0 --data-dir "$WORK/data" --log-level warn \
	>"$WORK/banner.txt" 2>"$WORK/server.log" &
SERVER_PID=$!
ENDPOINT=''
for _ in $(seq 300); do
	ENDPOINT=$(sed -n 's/.* serving on \(http[^ ]*\).*/\1/p' "$WORK/banner.txt" | head -n1)
	[[ -n "$ENDPOINT" ]] && break
	kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited before serving"
	sleep 0.1
done
[[ -n "$ENDPOINT" ]] || die "the server printed no address in 30 s"
curl -fsS "$ENDPOINT/_stepwise/health" >/dev/null || die "the server is not healthy"
echo "serving on $ENDPOINT (data in $WORK/data)"

# The aws CLI talks to stepwise only: dummy keys, no profile, one attempt.
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER='' AWS_MAX_ATTEMPTS=1
export AWS_EC2_METADATA_DISABLED=true
aws() { command aws --endpoint-url "$ENDPOINT" "$@"; }

RUN=$(date +%Y%m%d-%H%M%S)
BUCKET="ml-pipeline-demo-$RUN"
ACCOUNT=123456789012

step "Roles"
# IAM records roles (it does not enforce them); a server without IAM gets the ARN as is.
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
if curl -fsS "$ENDPOINT/_stepwise/health" | python3 -c 'import json,sys; sys.exit("iam" not in json.load(sys.stdin)["services"])'; then
	ROLE_ARN=$(aws iam create-role --role-name "SageMakerDemoRole-$RUN" --assume-role-policy-document "$TRUST" \
		--query Role.Arn --output text)
	aws iam attach-role-policy --role-name "SageMakerDemoRole-$RUN" --policy-arn arn:aws:iam::aws:policy/AmazonSageMakerFullAccess
	aws iam attach-role-policy --role-name "SageMakerDemoRole-$RUN" --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess
	ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
else
	ROLE_ARN="arn:aws:iam::$ACCOUNT:role/SageMakerDemoRole-$RUN"
	echo "${DIM}(this server has no IAM yet: using $ROLE_ARN)${RESET}"
fi
echo "SageMaker role: $ROLE_ARN"

step "Data and code to s3://$BUCKET"
python3 "$EXAMPLE/generate_data.py" 2000 1 >"$WORK/housing.csv"
echo "generated $(($(wc -l <"$WORK/housing.csv") - 1)) rows of housing data"
tar -czf "$WORK/sourcedir.tar.gz" -C "$EXAMPLE/code" train.py inference.py
aws s3 mb "s3://$BUCKET" >/dev/null
aws s3 cp --quiet "$WORK/housing.csv" "s3://$BUCKET/raw-data/housing.csv"
aws s3 cp --quiet "$EXAMPLE/code/preprocess.py" "s3://$BUCKET/code/preprocess.py"
aws s3 cp --quiet "$EXAMPLE/code/evaluate.py" "s3://$BUCKET/code/evaluate.py"
aws s3 cp --quiet "$WORK/sourcedir.tar.gz" "s3://$BUCKET/code/sourcedir.tar.gz"
aws s3 ls --recursive "s3://$BUCKET" | sed 's/^/  /'

step "State machine"
sed -e "s|\${BUCKET}|$BUCKET|g" -e "s|\${SAGEMAKER_ROLE_ARN}|$ROLE_ARN|g" "$EXAMPLE/pipeline.asl.json" >"$WORK/pipeline.asl.json"
SM_ARN=$(aws stepfunctions create-state-machine --name "ml-pipeline-$RUN" \
	--definition "file://$WORK/pipeline.asl.json" \
	--role-arn "arn:aws:iam::$ACCOUNT:role/StepFunctionsDemoRole" --query stateMachineArn --output text)
echo "$SM_ARN"

ENDPOINT_NAME="demo-endpoint-$RUN"
INPUT=$(printf '{"PreprocessingJobName":"demo-preprocess-%s","TrainingJobName":"demo-train-%s","EvaluationJobName":"demo-evaluate-%s","ModelName":"demo-model-%s","EndpointConfigName":"demo-config-%s","EndpointName":"%s","MinR2":%s}' \
	"$RUN" "$RUN" "$RUN" "$RUN" "$RUN" "$ENDPOINT_NAME" "$MIN_R2")
EXEC_ARN=$(aws stepfunctions start-execution --state-machine-arn "$SM_ARN" --name "run-$RUN" --input "$INPUT" \
	--query executionArn --output text)

step "Running $EXEC_ARN"
# Print each state as it is entered and left, from the execution's history.
echo 0 >"$WORK/shown"
STATUS=RUNNING
START=$SECONDS
while :; do
	STATUS=$(aws stepfunctions describe-execution --execution-arn "$EXEC_ARN" --query status --output text)
	aws stepfunctions get-execution-history --execution-arn "$EXEC_ARN" --output json >"$WORK/history.json"
	python3 - "$WORK/history.json" "$WORK/shown" <<'PY'
import datetime, json, sys
events = json.load(open(sys.argv[1]))["events"]
shown = int(open(sys.argv[2]).read())
for e in events:
    if e["id"] <= shown:
        continue
    shown = e["id"]
    t, ts = e["type"], e["timestamp"]
    if isinstance(ts, (int, float)):  # the aws CLI v1 prints epoch seconds
        ts = datetime.datetime.fromtimestamp(ts).isoformat()
    when = ts[11:19]
    details = next((v for k, v in e.items() if k.endswith("EventDetails")), {})
    if t.endswith("StateEntered"):
        print(f"  {when}  -> {details['name']}")
    elif t.endswith("StateExited"):
        print(f"  {when}  <- {details['name']}")
    elif t in ("TaskFailed", "TaskTimedOut", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
        print(f"  {when}  !! {t}: {details.get('error', '')}: {details.get('cause', '')[:600]}")
open(sys.argv[2], "w").write(str(shown))
PY
	[[ "$STATUS" != RUNNING ]] && break
	((SECONDS - START < 1800)) || die "the execution still runs after 30 minutes"
	sleep 2
done
if [[ "$STATUS" != SUCCEEDED ]]; then
	ERROR=$(aws stepfunctions describe-execution --execution-arn "$EXEC_ARN" --query error --output text)
	[[ "$ERROR" == ModelPerformanceInsufficient ]] && die "the model's test R² is below $MIN_R2: it was not deployed"
	die "the execution ended $STATUS ($ERROR)"
fi
printf '%sexecution succeeded in %ds%s\n' "$GREEN" $((SECONDS - START)) "$RESET"

aws stepfunctions describe-execution --execution-arn "$EXEC_ARN" --query output --output text >"$WORK/output.json"
python3 - "$WORK/output.json" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
m = out["EvaluationResult"]["Payload"]
print(f"  model:    {out['Training']['ModelDataUrl']}")
print(f"  test R²:  {m['test_r2']}  (deployed: at least {out['MinR2']})   RMSE: {m['test_rmse']}   MAE: {m['test_mae']}")
print(f"  endpoint: {out['Endpoint']['EndpointArn']} ({out['Endpoint']['EndpointStatus']})")
PY

step "Prediction"
ROW='[8.3252, 41.0, 6.9841, 1.0238, 322.0, 2.5556, 37.88, -122.23]'
echo "features: $ROW  (MedInc, HouseAge, AveRooms, AveBedrms, Population, AveOccup, Latitude, Longitude)"
aws sagemaker-runtime invoke-endpoint --endpoint-name "$ENDPOINT_NAME" --content-type application/json \
	--accept application/json --body "{\"instances\": [$ROW]}" "$WORK/prediction.json" >/dev/null
PREDICTION=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["predictions"][0])' "$WORK/prediction.json")

printf '\n%sprediction: %s%s\n' "$BOLD$GREEN" "$PREDICTION" "$RESET"
echo "console:    $ENDPOINT/_stepwise/  (health: $ENDPOINT/_stepwise/health)"
if [[ $KEEP == 1 ]]; then
	echo "the server keeps running (pid $SERVER_PID, data in $WORK/data); stop it with: kill $SERVER_PID"
	echo "  aws --endpoint-url $ENDPOINT sagemaker-runtime invoke-endpoint --endpoint-name $ENDPOINT_NAME \\"
	echo "      --content-type application/json --body '{\"instances\": [$ROW]}' /dev/stdout"
fi
