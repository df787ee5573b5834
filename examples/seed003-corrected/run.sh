#!/usr/bin/env bash
# Seed 003's walkthrough ("SageMaker ML Workflows with Step Functions"), corrected,
# against a running `stepwise server` with the aws CLI (v1 or v2): IAM roles, the data,
# the scripts, the EvaluateModel Lambda function, the state machine, one execution to an
# InService endpoint, a prediction, the walkthrough's validation, then its cleanup.
# README.md lists each fix.
#
#   stepwise server &                       # in another terminal
#   examples/seed003-corrected/run.sh       # --keep: skip the cleanup
#
# STEPWISE_ENDPOINT is the server's URL (default http://127.0.0.1:8083). Needs bash,
# python3, zip, tar and envsubst; the jobs need scikit-learn and pandas (make deps).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ENDPOINT=${STEPWISE_ENDPOINT:-http://127.0.0.1:8083}
KEEP=0
[ "${1:-}" = --keep ] && KEEP=1
aws() { command aws --endpoint-url "$ENDPOINT" "$@"; }
step() { printf '\n== %s\n' "$*"; }

WORK=$(mktemp -d)
cd "$WORK"

# --- Preparation ---------------------------------------------------------------------
step "Preparation"
AWS_REGION=$(aws configure get region || true)
export AWS_REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
export AWS_DEFAULT_REGION=$AWS_REGION
export AWS_ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)

RANDOM_SUFFIX=$(aws secretsmanager get-random-password \
    --exclude-punctuation --exclude-uppercase \
    --password-length 6 --require-each-included-type \
    --output text --query RandomPassword)

export ML_PIPELINE_NAME="ml-pipeline-${RANDOM_SUFFIX}"
export S3_BUCKET_NAME="ml-pipeline-bucket-${RANDOM_SUFFIX}"
export SAGEMAKER_ROLE_NAME="SageMakerMLPipelineRole-${RANDOM_SUFFIX}"
export STEP_FUNCTIONS_ROLE_NAME="StepFunctionsMLRole-${RANDOM_SUFFIX}"

# The scikit-learn container's registry depends on the region (the walkthrough's
# 246618743249 is us-west-2's).
case "$AWS_REGION" in
us-east-1) SKLEARN_ACCOUNT=683313688378 ;;
us-east-2) SKLEARN_ACCOUNT=257758044811 ;;
us-west-2) SKLEARN_ACCOUNT=246618743249 ;;
eu-west-1) SKLEARN_ACCOUNT=141502667606 ;;
*) echo "no scikit-learn image registry known for $AWS_REGION: set SKLEARN_ACCOUNT" >&2; exit 1 ;;
esac
export SKLEARN_IMAGE="${SKLEARN_ACCOUNT}.dkr.ecr.${AWS_REGION}.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"

cleanup() {
    set +e
    step "Cleanup"
    if [ -n "${ENDPOINT_NAME:-}" ]; then
        aws sagemaker delete-endpoint --endpoint-name "$ENDPOINT_NAME"
        aws sagemaker wait endpoint-deleted --endpoint-name "$ENDPOINT_NAME"
        aws sagemaker delete-endpoint-config --endpoint-config-name "$ENDPOINT_CONFIG_NAME"
        aws sagemaker delete-model --model-name "$MODEL_NAME"
    fi
    [ -n "${STATE_MACHINE_ARN:-}" ] && aws stepfunctions delete-state-machine --state-machine-arn "$STATE_MACHINE_ARN"
    aws lambda delete-function --function-name EvaluateModel

    aws iam detach-role-policy --role-name "$SAGEMAKER_ROLE_NAME" --policy-arn arn:aws:iam::aws:policy/AmazonSageMakerFullAccess
    aws iam detach-role-policy --role-name "$SAGEMAKER_ROLE_NAME" --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess
    aws iam delete-role --role-name "$SAGEMAKER_ROLE_NAME"
    aws iam detach-role-policy --role-name "$STEP_FUNCTIONS_ROLE_NAME" \
        --policy-arn "arn:aws:iam::${AWS_ACCOUNT_ID}:policy/StepFunctionsSageMakerPolicy"
    aws iam delete-role --role-name "$STEP_FUNCTIONS_ROLE_NAME"
    aws iam delete-policy --policy-arn "arn:aws:iam::${AWS_ACCOUNT_ID}:policy/StepFunctionsSageMakerPolicy"
    aws iam detach-role-policy --role-name LambdaEvaluateModelRole \
        --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
    aws iam detach-role-policy --role-name LambdaEvaluateModelRole \
        --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
    aws iam delete-role --role-name LambdaEvaluateModelRole

    # Every version and delete marker, 1000 per DeleteObjects, then the bucket.
    aws s3api list-object-versions --bucket "$S3_BUCKET_NAME" --output json > versions.json
    python3 - versions.json <<'EOF'
import json, sys
listing = json.load(open(sys.argv[1])) if open(sys.argv[1]).read().strip() else {}
objects = [{'Key': v['Key'], 'VersionId': v['VersionId']}
           for v in listing.get('Versions', []) + listing.get('DeleteMarkers', [])]
for i in range(0, len(objects), 1000):
    json.dump({'Objects': objects[i:i + 1000], 'Quiet': True}, open(f'delete-{i // 1000}.json', 'w'))
EOF
    for f in delete-*.json; do
        [ -e "$f" ] && aws s3api delete-objects --bucket "$S3_BUCKET_NAME" --delete "file://$f"
    done
    aws s3 rb "s3://${S3_BUCKET_NAME}"

    # The logs of this run: the function's and the endpoint's groups, the jobs' streams
    # (the job groups are the account's, shared by every job: removed only when empty).
    aws logs delete-log-group --log-group-name /aws/lambda/EvaluateModel
    [ -n "${ENDPOINT_NAME:-}" ] && aws logs delete-log-group --log-group-name "/aws/sagemaker/Endpoints/${ENDPOINT_NAME}"
    for pair in "ProcessingJobs ${PREPROCESSING_JOB_NAME:-}" "TrainingJobs ${TRAINING_JOB_NAME:-}"; do
        set -- $pair
        [ -n "${2:-}" ] || continue
        group="/aws/sagemaker/$1"
        for stream in $(aws logs describe-log-streams --log-group-name "$group" --log-stream-name-prefix "$2/" \
            --query 'logStreams[].logStreamName' --output text); do
            aws logs delete-log-stream --log-group-name "$group" --log-stream-name "$stream"
        done
        if [ "$(aws logs describe-log-streams --log-group-name "$group" --query 'length(logStreams)' --output text)" = 0 ]; then
            aws logs delete-log-group --log-group-name "$group"
        fi
    done
    rm -rf "$WORK"
    echo "✅ Cleaned up"
}
[ "$KEEP" = 1 ] || trap cleanup EXIT

aws s3 mb "s3://${S3_BUCKET_NAME}" --region "${AWS_REGION}"
aws s3api put-bucket-versioning --bucket "${S3_BUCKET_NAME}" --versioning-configuration Status=Enabled
aws s3api put-bucket-encryption --bucket "${S3_BUCKET_NAME}" \
    --server-side-encryption-configuration \
    'Rules=[{ApplyServerSideEncryptionByDefault={SSEAlgorithm=AES256}}]'
for folder in raw-data/ processed-data/ model-artifacts/ code/; do
    aws s3api put-object --bucket "${S3_BUCKET_NAME}" --key "$folder" > /dev/null
done

# --- 1, 2: IAM roles -------------------------------------------------------------------
step "IAM roles"
trust() {
    printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"%s"},"Action":"sts:AssumeRole"}]}' "$1"
}
trust sagemaker.amazonaws.com > sagemaker-trust-policy.json
aws iam create-role --role-name "${SAGEMAKER_ROLE_NAME}" \
    --assume-role-policy-document file://sagemaker-trust-policy.json > /dev/null
aws iam attach-role-policy --role-name "${SAGEMAKER_ROLE_NAME}" --policy-arn arn:aws:iam::aws:policy/AmazonSageMakerFullAccess
aws iam attach-role-policy --role-name "${SAGEMAKER_ROLE_NAME}" --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess
export SAGEMAKER_ROLE_ARN=$(aws iam get-role --role-name "${SAGEMAKER_ROLE_NAME}" --query Role.Arn --output text)

trust states.amazonaws.com > step-functions-trust-policy.json
aws iam create-role --role-name "${STEP_FUNCTIONS_ROLE_NAME}" \
    --assume-role-policy-document file://step-functions-trust-policy.json > /dev/null
cat > step-functions-sagemaker-policy.json << EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob",
      "sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:CreateEndpoint",
      "sagemaker:UpdateEndpoint", "sagemaker:DeleteEndpoint", "sagemaker:DescribeProcessingJob",
      "sagemaker:DescribeTrainingJob", "sagemaker:DescribeModel", "sagemaker:DescribeEndpoint",
      "sagemaker:StopProcessingJob", "sagemaker:StopTrainingJob", "sagemaker:ListTags", "sagemaker:AddTags"],
     "Resource": "*"},
    {"Effect": "Allow", "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
     "Resource": "arn:aws:events:${AWS_REGION}:${AWS_ACCOUNT_ID}:rule/StepFunctions*"},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
     "Resource": ["arn:aws:s3:::${S3_BUCKET_NAME}", "arn:aws:s3:::${S3_BUCKET_NAME}/*"]},
    {"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": "${SAGEMAKER_ROLE_ARN}"},
    {"Effect": "Allow", "Action": ["lambda:InvokeFunction"],
     "Resource": "arn:aws:lambda:${AWS_REGION}:${AWS_ACCOUNT_ID}:function:EvaluateModel"}
  ]
}
EOF
aws iam create-policy --policy-name StepFunctionsSageMakerPolicy \
    --policy-document file://step-functions-sagemaker-policy.json > /dev/null
aws iam attach-role-policy --role-name "${STEP_FUNCTIONS_ROLE_NAME}" \
    --policy-arn "arn:aws:iam::${AWS_ACCOUNT_ID}:policy/StepFunctionsSageMakerPolicy"
export STEP_FUNCTIONS_ROLE_ARN=$(aws iam get-role --role-name "${STEP_FUNCTIONS_ROLE_NAME}" --query Role.Arn --output text)
echo "roles: ${SAGEMAKER_ROLE_ARN} ${STEP_FUNCTIONS_ROLE_ARN}"

# --- 3: data (generated here: the walkthrough downloads scikit-learn's California
# housing set; these rows have its columns and a target that depends on them) ----------
step "Data"
python3 - << 'EOF'
import math, random
random.seed(42)
header = 'MedInc,HouseAge,AveRooms,AveBedrms,Population,AveOccup,Latitude,Longitude,target'
def rows(n):
    for _ in range(n):
        inc, age = 0.5 + random.random() * 10, 1 + random.random() * 51
        rooms, bed = 2 + random.random() * 6, 0.8 + random.random() * 0.6
        pop, occ = 100 + random.random() * 3000, 1.5 + random.random() * 3
        lat, lon = 32.5 + random.random() * 9, -124.3 + random.random() * 10
        y = 0.45 * inc + 0.01 * age + 0.1 * rooms - 0.2 * occ + 0.3 * math.sin(lat) + random.gauss(0, 0.2)
        yield f'{inc:.4f},{age:.1f},{rooms:.4f},{bed:.4f},{pop:.0f},{occ:.4f},{lat:.2f},{lon:.2f},{y:.5f}'
for name, n in (('train.csv', 800), ('test.csv', 200)):
    with open(name, 'w') as f:
        f.write(header + '\n' + '\n'.join(rows(n)) + '\n')
EOF
aws s3 cp train.csv "s3://${S3_BUCKET_NAME}/raw-data/"
aws s3 cp test.csv "s3://${S3_BUCKET_NAME}/raw-data/"

# --- 4, 5, 6: the scripts; the endpoint's code as a source directory archive ------------
step "Scripts"
for script in preprocessing.py training.py inference.py; do
    aws s3 cp "$HERE/$script" "s3://${S3_BUCKET_NAME}/code/"
done
cp "$HERE/inference.py" . && tar -czf sourcedir.tar.gz inference.py
aws s3 cp sourcedir.tar.gz "s3://${S3_BUCKET_NAME}/code/"

# --- 8: the EvaluateModel function ------------------------------------------------------
step "EvaluateModel"
cp "$HERE/lambda_function.py" . && zip -q evaluate_model.zip lambda_function.py
trust lambda.amazonaws.com > lambda-trust-policy.json
LAMBDA_ROLE_ARN=$(aws iam create-role --role-name LambdaEvaluateModelRole \
    --assume-role-policy-document file://lambda-trust-policy.json --query Role.Arn --output text)
aws iam attach-role-policy --role-name LambdaEvaluateModelRole \
    --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
aws iam attach-role-policy --role-name LambdaEvaluateModelRole \
    --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
aws iam wait role-exists --role-name LambdaEvaluateModelRole # (on AWS, also wait ~10 s for IAM to propagate)
aws lambda create-function --function-name EvaluateModel --runtime python3.11 \
    --role "${LAMBDA_ROLE_ARN}" --handler lambda_function.lambda_handler \
    --zip-file fileb://evaluate_model.zip --timeout 60 --memory-size 256 \
    --query '{FunctionArn:FunctionArn,State:State}' --output text
aws lambda wait function-active-v2 --function-name EvaluateModel

# --- 7, 9: the state machine ------------------------------------------------------------
step "State machine"
envsubst '${S3_BUCKET_NAME} ${SAGEMAKER_ROLE_ARN} ${SKLEARN_IMAGE}' < "$HERE/pipeline.asl.json" > ml-pipeline-state-machine.json
STATE_MACHINE_ARN=$(aws stepfunctions create-state-machine --name "${ML_PIPELINE_NAME}" \
    --definition file://ml-pipeline-state-machine.json --role-arn "${STEP_FUNCTIONS_ROLE_ARN}" \
    --query stateMachineArn --output text)
echo "state machine: ${STATE_MACHINE_ARN}"

# --- 10, 11: one execution, monitored -----------------------------------------------------
step "Execution"
TIMESTAMP=$(date +%Y%m%d%H%M%S)
PREPROCESSING_JOB_NAME="preprocessing-${TIMESTAMP}"
TRAINING_JOB_NAME="training-${TIMESTAMP}"
MODEL_NAME="model-${TIMESTAMP}"
ENDPOINT_CONFIG_NAME="endpoint-config-${TIMESTAMP}"
ENDPOINT_NAME="endpoint-${TIMESTAMP}"
cat > pipeline-input.json << EOF
{
  "PreprocessingJobName": "${PREPROCESSING_JOB_NAME}",
  "TrainingJobName": "${TRAINING_JOB_NAME}",
  "ModelName": "${MODEL_NAME}",
  "EndpointConfigName": "${ENDPOINT_CONFIG_NAME}",
  "EndpointName": "${ENDPOINT_NAME}",
  "ModelDataUrl": "s3://${S3_BUCKET_NAME}/model-artifacts/${TRAINING_JOB_NAME}/output/model.tar.gz"
}
EOF
EXECUTION_ARN=$(aws stepfunctions start-execution --state-machine-arn "${STATE_MACHINE_ARN}" \
    --name "execution-${TIMESTAMP}" --input file://pipeline-input.json --query executionArn --output text)
echo "execution: ${EXECUTION_ARN}"
START=$(date +%s)
while :; do
    STATUS=$(aws stepfunctions describe-execution --execution-arn "${EXECUTION_ARN}" --query status --output text)
    echo "Status: ${STATUS} | Elapsed: $(($(date +%s) - START))s"
    [ "$STATUS" = RUNNING ] || break
    if [ $(($(date +%s) - START)) -gt 1800 ]; then
        echo "⏰ still running after 30 minutes" >&2
        exit 1
    fi
    sleep 5
done
if [ "$STATUS" != SUCCEEDED ]; then
    aws stepfunctions describe-execution --execution-arn "${EXECUTION_ARN}" --query '{error:error,cause:cause}' --output json >&2
    exit 1
fi
echo "✅ Pipeline execution completed successfully"

# --- 12: the endpoint ---------------------------------------------------------------------
step "Endpoint"
aws sagemaker wait endpoint-in-service --endpoint-name "${ENDPOINT_NAME}"
cat > test-prediction.json << 'EOF'
{
  "instances": [
    [8.3252, 41.0, 6.984126984126984, 1.0238095238095237, 322.0, 2.5555555555555554, 37.88, -122.23],
    [8.3014, 21.0, 6.238137082601054, 0.9711649365628111, 2401.0, 2.109841827768014, 37.86, -122.22]
  ]
}
EOF
aws sagemaker-runtime invoke-endpoint --endpoint-name "${ENDPOINT_NAME}" \
    --content-type application/json --accept application/json \
    --body fileb://test-prediction.json prediction-output.json > /dev/null
echo "✅ Prediction results:"
python3 -m json.tool prediction-output.json

# --- Validation ---------------------------------------------------------------------------
step "Validation"
aws stepfunctions list-executions --state-machine-arn "${STATE_MACHINE_ARN}" \
    --query 'executions[*].[name,status]' --output text
aws s3 ls "s3://${S3_BUCKET_NAME}/model-artifacts/" --recursive --human-readable
aws s3 ls "s3://${S3_BUCKET_NAME}/processed-data/" --human-readable
aws sagemaker describe-endpoint --endpoint-name "${ENDPOINT_NAME}" \
    --query '[EndpointStatus,ProductionVariants[0].CurrentInstanceCount]' --output text
# The training's output data (evaluation.json) is in output.tar.gz beside model.tar.gz.
aws s3 cp "s3://${S3_BUCKET_NAME}/model-artifacts/${TRAINING_JOB_NAME}/output/output.tar.gz" .
tar -xzf output.tar.gz
python3 -c "
import json
data = json.load(open('evaluation.json'))
print(f'Test R² Score: {data[\"test_r2\"]:.4f}')
print(f'Test RMSE: {data[\"test_rmse\"]:.4f}')
print(f'Test MAE: {data[\"test_mae\"]:.4f}')
print(f'Training Samples: {data[\"training_samples\"]}')
print(f'Feature Count: {data[\"feature_count\"]}')
"
echo "✅ Walkthrough complete"
