"""boto3 against stepwise: RedriveExecution, TestState, the Map Run operations and nested
executions (states:startExecution).

Usage: python3 newops_checks.py ENDPOINT_URL [CHECK...]

Output as boto3_checks.py; a check whose operation the server does not know prints
{"skip": reason} instead of failing.
"""

import json
import sys
import time
import traceback

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
ROLE = "arn:aws:iam::123456789012:role/e2e"
PREFIX = "arn:aws:states:us-east-1:123456789012"
sfn = boto3.client(
    "stepfunctions",
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    config=Config(retries={"max_attempts": 1}, inject_host_prefix=False, read_timeout=70),
)

CHECKS = []
_current = [None]


class Skip(Exception):
    pass


def check(fn):
    CHECKS.append(fn)
    return fn


def emit(name, ok, detail, seconds=0.0, skip=""):
    print(json.dumps({"check": name, "ok": ok, "detail": detail, "seconds": seconds, "skip": skip}), flush=True)


def soft(name, ok, detail=""):
    emit(f"{_current[0]}/{name}", bool(ok), "" if ok else detail)


def known_op(fn, **kwargs):
    """Calls fn; raises Skip when the server does not know the operation."""
    try:
        return fn(**kwargs)
    except ClientError as e:
        if e.response["Error"]["Code"] in ("UnknownOperationException", "UnknownOperation"):
            raise Skip(f"{fn.__name__}: the server answers UnknownOperationException (not implemented yet)")
        raise


def code_of(fn, **kwargs):
    try:
        fn(**kwargs)
        return "OK"
    except ClientError as e:
        return e.response["Error"]["Code"]


def eq(got, want, what):
    assert got == want, f"{what}: got {got!r}, want {want!r}"


def create(name, definition, type_="STANDARD"):
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE, type=type_)["stateMachineArn"]


def wait_done(arn, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        if time.monotonic() > deadline:
            raise AssertionError(f"{arn} still RUNNING after {timeout} s")
        time.sleep(0.02)


def history(arn):
    return sfn.get_paginator("get_execution_history").paginate(executionArn=arn).build_full_result()["events"]


def tokens(arn, want, timeout=30):
    """The task tokens of the TaskScheduled events of arn, once there are `want` of them."""
    deadline = time.monotonic() + timeout
    while True:
        found = [json.loads(e["taskScheduledEventDetails"]["parameters"])["MessageBody"]["token"]
                 for e in history(arn) if e["type"] == "TaskScheduled"]
        if len(found) >= want:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{arn}: {len(found)} tokens after {timeout} s, want {want}")
        time.sleep(0.02)


def callback_task(next_=None, result_path="$.answer"):
    t = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/f", "MessageBody": {"token.$": "$$.Task.Token"}},
        "ResultPath": result_path,
    }
    if next_:
        t["Next"] = next_
    else:
        t["End"] = True
    return t


@check
def redrive_execution():
    arn = create("n-redrive", {
        "StartAt": "Before",
        "States": {
            "Before": {"Type": "Pass", "Result": "done once", "ResultPath": "$.before", "Next": "Ask"},
            "Ask": callback_task("After"),
            "After": {"Type": "Pass", "End": True},
        },
    })
    x = sfn.start_execution(stateMachineArn=arn, name="r", input='{"k":1}')["executionArn"]
    [t1] = tokens(x, 1)
    sfn.send_task_failure(taskToken=t1, error="Flaky", cause="first try")
    d = wait_done(x)
    eq((d["status"], d.get("error")), ("FAILED", "Flaky"), "first run")
    eq(d.get("redriveStatus"), "REDRIVABLE", "redriveStatus of a failed execution")
    out = known_op(sfn.redrive_execution, executionArn=x)
    assert out.get("redriveDate"), out
    [_, t2] = tokens(x, 2)
    sfn.send_task_success(taskToken=t2, output='{"second":true}')
    d = wait_done(x)
    eq(d["status"], "SUCCEEDED", "status after the redrive")
    eq(json.loads(d["output"]), {"k": 1, "before": "done once", "answer": {"second": True}}, "output after the redrive")
    eq(d.get("redriveCount"), 1, "redriveCount")
    assert d.get("redriveDate"), d
    h = history(x)
    types = [e["type"] for e in h]
    eq([e["id"] for e in h], list(range(1, len(h) + 1)), "event ids after the redrive")
    eq(types.count("ExecutionRedriven"), 1, "ExecutionRedriven events")
    eq(types.count("PassStateEntered"), 2, "Pass states entered (Before once, After once)")
    eq([e["stateEnteredEventDetails"]["name"] for e in h if e["type"] == "PassStateEntered"], ["Before", "After"], "Pass states entered")
    redriven = [e["name"] for e in sfn.list_executions(stateMachineArn=arn, redriveFilter="REDRIVEN")["executions"]]
    eq(redriven, ["r"], "executions listed with redriveFilter REDRIVEN")
    eq(code_of(sfn.redrive_execution, executionArn=x), "ExecutionNotRedrivable", "redrive of a SUCCEEDED execution")
    eq(code_of(sfn.redrive_execution, executionArn=f"{PREFIX}:execution:n-redrive:missing"), "ExecutionDoesNotExist",
       "redrive of a missing execution")


@check
def test_state():
    out = known_op(sfn.test_state,
                   definition=json.dumps({"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"},
                                          "ResultPath": "$.r", "Next": "Somewhere"}),
                   roleArn=ROLE, input='{"a":2,"b":3}', inspectionLevel="DEBUG")
    eq(out["status"], "SUCCEEDED", "status")
    eq(json.loads(out["output"]), {"a": 2, "b": 3, "r": {"sum": 5}}, "output")
    eq(out.get("nextState"), "Somewhere", "nextState")
    data = out.get("inspectionData", {})
    eq(json.loads(data.get("afterParameters", "null")), {"sum": 5}, "inspectionData.afterParameters")
    eq(json.loads(data.get("afterResultPath", "null")), {"a": 2, "b": 3, "r": {"sum": 5}}, "inspectionData.afterResultPath")
    choice = sfn.test_state(definition=json.dumps({
        "Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}], "Default": "Small"}),
        roleArn=ROLE, input='{"n":5}')
    eq((choice["status"], choice.get("nextState")), ("SUCCEEDED", "Big"), "Choice")
    fail = sfn.test_state(definition=json.dumps({"Type": "Fail", "Error": "E", "Cause": "C"}), roleArn=ROLE, input="{}")
    eq((fail["status"], fail.get("error"), fail.get("cause")), ("FAILED", "E", "C"), "Fail state")
    eq(code_of(sfn.test_state, definition="{", roleArn=ROLE), "InvalidDefinition", "TestState of an invalid definition")


@check
def map_runs():
    arn = create("n-distributed", {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 3,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Double",
                    "States": {"Double": {"Type": "Pass", "Parameters": {"d.$": "States.MathAdd($, $)"}, "End": True}},
                },
                "End": True,
            }
        },
    })
    x = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"items": list(range(7))}))["executionArn"]
    d = wait_done(x)
    eq(d["status"], "SUCCEEDED", "status")
    eq(json.loads(d["output"]), [{"d": 2 * i} for i in range(7)], "output")
    runs = known_op(sfn.list_map_runs, executionArn=x)["mapRuns"]
    eq(len(runs), 1, "map runs")
    run = runs[0]["mapRunArn"]
    m = sfn.describe_map_run(mapRunArn=run)
    eq(m["status"], "SUCCEEDED", "map run status")
    eq(m["executionArn"], x, "map run executionArn")
    soft("DescribeMapRun maxConcurrency is the Map's", m["maxConcurrency"] == 3,
         f"describe_map_run maxConcurrency {m['maxConcurrency']}, the Map state's MaxConcurrency is 3")
    eq((m["itemCounts"]["total"], m["itemCounts"]["succeeded"]), (7, 7), "itemCounts")
    eq((m["executionCounts"]["total"], m["executionCounts"]["succeeded"]), (7, 7), "executionCounts")
    children = sfn.get_paginator("list_executions").paginate(mapRunArn=run).build_full_result()["executions"]
    soft("child executions are listed by mapRunArn",
         len(children) == 7 and all(c["status"] == "SUCCEEDED" and c.get("mapRunArn") == run for c in children),
         f"list_executions(mapRunArn=...) lists {len(children)} child executions, want 7 (one per item, "
         f"as describe_map_run's executionCounts says)")
    types = [e["type"] for e in history(x)]
    for t in ["MapRunStarted", "MapRunSucceeded"]:
        assert t in types, f"{t} missing from {types}"
    sfn.update_map_run(mapRunArn=run, maxConcurrency=5)
    eq(sfn.describe_map_run(mapRunArn=run)["maxConcurrency"], 5, "maxConcurrency after update_map_run")
    eq(code_of(sfn.describe_map_run, mapRunArn=run + "x"), "ResourceNotFound", "describe_map_run of a missing run")


@check
def nested_executions():
    child = create("n-child", {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"got.$": "$.v"}, "End": True}}})
    waiter = create("n-child-waits", {
        "StartAt": "Ask",
        "States": {"Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                           "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/f", "MessageBody": {"token.$": "$.parentToken"}}, "End": True}},
    })
    parent = create("n-parent", {
        "StartAt": "Fire",
        "States": {
            "Fire": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                     "Parameters": {"StateMachineArn": child, "Input": {"v": "fire"}}, "ResultPath": "$.fire", "Next": "Sync"},
            "Sync": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
                     "Parameters": {"StateMachineArn": child, "Input": {"v": "sync"}}, "ResultPath": "$.sync", "Next": "Sync2"},
            "Sync2": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                      "Parameters": {"StateMachineArn": child, "Input": {"v": "sync2"}}, "ResultPath": "$.sync2", "Next": "Token"},
            "Token": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
                      "Parameters": {"StateMachineArn": waiter, "Input": {"parentToken.$": "$$.Task.Token"}},
                      "ResultPath": "$.token", "End": True},
        },
    })
    x = sfn.start_execution(stateMachineArn=parent, input="{}")["executionArn"]
    # The waiting child gets the parent's token and answers it (as a worker would).
    deadline = time.monotonic() + 60
    while True:
        kids = sfn.list_executions(stateMachineArn=waiter)["executions"]
        if kids:
            break
        assert time.monotonic() < deadline, "the waitForTaskToken child never started"
        time.sleep(0.05)
    [tok] = tokens(kids[0]["executionArn"], 1)
    sfn.send_task_success(taskToken=tok, output='{"from":"child"}')
    d = wait_done(x)
    eq(d["status"], "SUCCEEDED", "parent status")
    out = json.loads(d["output"])
    assert out["fire"]["ExecutionArn"].startswith(f"{PREFIX}:execution:n-child:"), out["fire"]
    assert isinstance(out["sync"]["Output"], str), f".sync Output should be JSON text: {out['sync']}"
    eq(json.loads(out["sync"]["Output"]), {"got": "sync"}, ".sync Output")
    eq(out["sync2"]["Output"], {"got": "sync2"}, ".sync:2 Output")
    eq(out["sync2"]["Status"], "SUCCEEDED", ".sync:2 Status")
    eq(out["token"], {"from": "child"}, ".waitForTaskToken result")
    children = sfn.list_executions(stateMachineArn=child)["executions"]
    eq(len(children), 3, "child executions")
    for c in children:
        eq(wait_done(c["executionArn"])["status"], "SUCCEEDED", "child status")
    types = [e["type"] for e in history(x)]
    eq(types.count("TaskSubmitted") >= 2, True, "TaskSubmitted events for .sync and .sync:2")
    soft("waitForTaskToken records TaskSubmitted", types.count("TaskSubmitted") == 3,
         f"{types.count('TaskSubmitted')} TaskSubmitted events; AWS records one for .sync, .sync:2 and "
         f".waitForTaskToken alike (the StartExecution response) once the request is made")
    # A failing child fails the .sync task with States.TaskFailed.
    bad = create("n-child-fails", {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Child.Broke", "Cause": "no"}}})
    p2 = create("n-parent-fails", {"StartAt": "S", "States": {"S": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": bad}, "End": True}}})
    d = wait_done(sfn.start_execution(stateMachineArn=p2)["executionArn"])
    eq((d["status"], d.get("error")), ("FAILED", "States.TaskFailed"), "parent of a failing child")


def main():
    names = sys.argv[2:]
    for fn in CHECKS:
        if names and fn.__name__ not in names:
            continue
        _current[0] = fn.__name__
        t0 = time.monotonic()
        try:
            fn()
            emit(fn.__name__, True, "", round(time.monotonic() - t0, 3))
        except Skip as s:
            emit(fn.__name__, True, "", round(time.monotonic() - t0, 3), skip=str(s))
        except Exception:
            emit(fn.__name__, False, traceback.format_exc(), round(time.monotonic() - t0, 3))


if __name__ == "__main__":
    main()
