"""The same boto3 calls against any Step Functions endpoint; prints what it observed.

Usage: python3 differential.py ENDPOINT_URL

Prints one JSON object: observation name -> value (a status, an error code, a list of
event types...). moto_test.go runs it against stepwise and against moto's server and
compares both with what AWS does.
"""

import json
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
ROLE = "arn:aws:iam::123456789012:role/e2e"
sfn = boto3.client(
    "stepfunctions",
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    config=Config(retries={"max_attempts": 1}, inject_host_prefix=False),
)
obs = {}


def code_of(fn, **kwargs):
    try:
        fn(**kwargs)
        return "OK"
    except ClientError as e:
        return e.response["Error"]["Code"]
    except Exception as e:  # a client-side failure is an observation too
        return type(e).__name__


def settle(arn, timeout=3.0):
    """The status after at most timeout seconds (moto's executions may never end)."""
    deadline = time.monotonic() + timeout
    while True:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING" or time.monotonic() > deadline:
            return d
        time.sleep(0.05)


PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
WAIT = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}})
BROKEN = json.dumps({"StartAt": "Missing", "States": {"P": {"Type": "Pass", "Next": "Nowhere"}}})

obs["create with an invalid definition"] = code_of(sfn.create_state_machine, name="d-broken", definition=BROKEN, roleArn=ROLE)
obs["create with a definition that is not JSON"] = code_of(sfn.create_state_machine, name="d-garbage", definition="{", roleArn=ROLE)

pass_arn = sfn.create_state_machine(name="d-pass", definition=PASS, roleArn=ROLE)["stateMachineArn"]
wait_arn = sfn.create_state_machine(name="d-wait", definition=WAIT, roleArn=ROLE)["stateMachineArn"]

# StartExecution idempotency: the same name and input while RUNNING is the same execution.
a = sfn.start_execution(stateMachineArn=wait_arn, name="same", input='{"k":1}')
b_code = code_of(sfn.start_execution, stateMachineArn=wait_arn, name="same", input='{"k":1}')
obs["start again with the same name and input while running"] = b_code
obs["start again with the same name and another input"] = code_of(
    sfn.start_execution, stateMachineArn=wait_arn, name="same", input='{"k":2}')
sfn.stop_execution(executionArn=a["executionArn"], error="E", cause="C")
d = sfn.describe_execution(executionArn=a["executionArn"])
obs["status after stop"] = d["status"]
obs["error and cause after stop"] = [d.get("error"), d.get("cause")]
obs["start again with the same name and input after stop"] = code_of(
    sfn.start_execution, stateMachineArn=wait_arn, name="same", input='{"k":1}')

# A Pass state machine runs to its end.
x = sfn.start_execution(stateMachineArn=pass_arn, name="run", input='{"v":7}')["executionArn"]
d = settle(x)
obs["status of a Pass execution"] = d["status"]
obs["output of a Pass execution"] = d.get("output")
obs["history of a Pass execution"] = [e["type"] for e in sfn.get_execution_history(executionArn=x)["events"]]
obs["state names in the history"] = sorted({
    e["stateEnteredEventDetails"]["name"]
    for e in sfn.get_execution_history(executionArn=x)["events"] if "stateEnteredEventDetails" in e})
obs["executions listed as SUCCEEDED"] = [e["name"] for e in sfn.list_executions(
    stateMachineArn=pass_arn, statusFilter="SUCCEEDED")["executions"]]
obs["start again with the same name and input after success"] = code_of(
    sfn.start_execution, stateMachineArn=pass_arn, name="run", input='{"v":7}')

# Error codes.
obs["describe a non-ARN"] = code_of(sfn.describe_execution, executionArn="not-an-arn")
obs["describe a missing execution"] = code_of(
    sfn.describe_execution, executionArn="arn:aws:states:us-east-1:123456789012:execution:d-pass:missing")
obs["stop a missing execution"] = code_of(
    sfn.stop_execution, executionArn="arn:aws:states:us-east-1:123456789012:execution:d-pass:missing")
obs["start a missing state machine"] = code_of(
    sfn.start_execution, stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:d-missing")
obs["start with input that is not JSON"] = code_of(sfn.start_execution, stateMachineArn=pass_arn, input="{oops")
obs["start with a name with a space"] = code_of(sfn.start_execution, stateMachineArn=pass_arn, name="a b")
obs["send task success with an unknown token"] = code_of(sfn.send_task_success, taskToken="t" * 40, output="{}")
obs["list executions with an unknown status filter"] = code_of(
    sfn.list_executions, stateMachineArn=pass_arn, statusFilter="SLEEPING")

# Operations moto lacks or runs differently.
v = sfn.validate_state_machine_definition if hasattr(sfn, "validate_state_machine_definition") else None
obs["validate an invalid definition"] = (
    v(definition=BROKEN)["result"] if v and code_of(v, definition=BROKEN) == "OK" else code_of(v, definition=BROKEN))
express = sfn.create_state_machine(name="d-express", definition=PASS, roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
try:
    r = sfn.start_sync_execution(stateMachineArn=express, input='{"s":1}')
    obs["start a sync Express execution"] = [r["status"], r.get("output")]
except ClientError as e:
    obs["start a sync Express execution"] = e.response["Error"]["Code"]

print(json.dumps(obs))
