"""boto3 against a running stepwise server, as an application would use it.

Usage: python3 boto3_checks.py ENDPOINT_URL [CHECK...]

Each check prints one JSON line {"check": name, "ok": bool, "detail": text}; the Go
test (boto3_test.go) turns the lines into subtests. The checks share one server and
keep apart by the names of what they create.
"""

import json
import os
import sys
import threading
import time
import traceback

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/e2e"
HERE = os.path.dirname(os.path.abspath(__file__))

# GetActivityTask long-polls for up to 60 s: the read timeout must outlast it.
sfn = boto3.client(
    "stepfunctions",
    endpoint_url=ENDPOINT,
    region_name=REGION,
    config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=70, inject_host_prefix=False),
)

CHECKS = []
_current = [None]


def emit(name, ok, detail, seconds=0.0):
    print(json.dumps({"check": name, "ok": ok, "detail": detail, "seconds": seconds}), flush=True)


def soft(name, ok, detail=""):
    """Reports one assertion as its own result (check/name) without ending the check, so
    that a known divergence from AWS does not hide the assertions after it."""
    emit(f"{_current[0]}/{name}", bool(ok), "" if ok else detail)


def check(fn):
    CHECKS.append(fn)
    return fn


def definition(name):
    with open(os.path.join(HERE, name)) as f:
        return f.read()


def sm_arn(name):
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def create(name, definition_text, type_="STANDARD"):
    return sfn.create_state_machine(name=name, definition=definition_text, roleArn=ROLE, type=type_)["stateMachineArn"]


def wait_done(arn, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        if time.monotonic() > deadline:
            raise AssertionError(f"{arn} still RUNNING after {timeout} s")
        time.sleep(0.02)


def wait_event(arn, type_, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        for e in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]:
            if e["type"] == type_:
                return e
        if time.monotonic() > deadline:
            raise AssertionError(f"{arn}: no {type_} event after {timeout} s")
        time.sleep(0.02)


def error_code(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", "")
    return None, "no error"


def expect_error(want, fn, **kwargs):
    code, msg = error_code(fn, **kwargs)
    assert code == want, f"{fn.__name__}({short(kwargs)}): got {code} ({msg}), want {want}"
    return msg


def short(kwargs):
    return {k: (v[:60] + "...") if isinstance(v, str) and len(v) > 60 else v for k, v in kwargs.items()}


def eq(got, want, what):
    assert got == want, f"{what}: got {got!r}, want {want!r}"


@check
def executions_and_history():
    arn = create("b3-pass", definition("pass.asl.json"))
    first = sfn.start_execution(stateMachineArn=arn, name="r0", input='{"who":"boto3"}')
    eq(first["executionArn"], f"arn:aws:states:{REGION}:{ACCOUNT}:execution:b3-pass:r0", "executionArn")
    d = wait_done(first["executionArn"])
    eq(d["status"], "SUCCEEDED", "status")
    eq(json.loads(d["output"]), {"who": "boto3", "out": {"greeting": "hello boto3"}}, "output")
    eq(d["startDate"], first["startDate"], "startDate of describe and start")
    assert d["stopDate"] >= d["startDate"], d
    for i in range(1, 5):
        sfn.start_execution(stateMachineArn=arn, name=f"r{i}", input=json.dumps({"who": f"r{i}"}))
    for i in range(1, 5):
        wait_done(f"arn:aws:states:{REGION}:{ACCOUNT}:execution:b3-pass:r{i}")

    pages = list(
        sfn.get_paginator("list_executions").paginate(
            stateMachineArn=arn, statusFilter="SUCCEEDED", PaginationConfig={"PageSize": 2}
        )
    )
    names = [e["name"] for p in pages for e in p["executions"]]
    eq(sorted(names), ["r0", "r1", "r2", "r3", "r4"], "executions listed over pages of 2")
    eq(len(pages), 3, "pages")
    eq(sfn.list_executions(stateMachineArn=arn, statusFilter="FAILED")["executions"], [], "FAILED executions")

    whole = sfn.get_execution_history(executionArn=first["executionArn"])["events"]
    eq([e["id"] for e in whole], list(range(1, len(whole) + 1)), "event ids")
    pages = list(
        sfn.get_paginator("get_execution_history").paginate(
            executionArn=first["executionArn"], reverseOrder=True, PaginationConfig={"PageSize": 4}
        )
    )
    rev = [e["id"] for p in pages for e in p["events"]]
    eq(rev, list(range(len(whole), 0, -1)), "reverse ids over pages of 4")
    bare = sfn.get_execution_history(executionArn=first["executionArn"], includeExecutionData=False)["events"]
    for e in bare:
        for k, v in e.items():
            if k.endswith("EventDetails"):
                assert "input" not in v and "output" not in v, f"includeExecutionData=False kept data: {e}"

    sm = sfn.describe_state_machine_for_execution(executionArn=first["executionArn"])
    eq(sm["stateMachineArn"], arn, "describe_state_machine_for_execution")
    eq(json.loads(sm["definition"]), json.loads(definition("pass.asl.json")), "definition")


@check
def start_execution_is_idempotent_while_running():
    arn = create("b3-idem", definition("wait.asl.json"))
    a = sfn.start_execution(stateMachineArn=arn, name="same", input='{"k": 1}')
    # The same name and the same input (JSON-equal) is the same execution.
    b = sfn.start_execution(stateMachineArn=arn, name="same", input='{"k":1}')
    eq(b["executionArn"], a["executionArn"], "executionArn of the repeated start")
    eq(b["startDate"], a["startDate"], "startDate of the repeated start")
    expect_error("ExecutionAlreadyExists", sfn.start_execution, stateMachineArn=arn, name="same", input='{"k":2}')
    sfn.stop_execution(executionArn=a["executionArn"])
    eq(wait_done(a["executionArn"])["status"], "ABORTED", "status after stop")
    # Once closed, even the same input is refused.
    expect_error("ExecutionAlreadyExists", sfn.start_execution, stateMachineArn=arn, name="same", input='{"k": 1}')
    eq(len(sfn.list_executions(stateMachineArn=arn)["executions"]), 1, "executions")


@check
def stop_execution():
    arn = create("b3-stop", definition("wait.asl.json"))
    x = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    wait_event(x, "WaitStateEntered")
    out = sfn.stop_execution(executionArn=x, error="Boto3.Stop", cause="because")
    assert out["stopDate"], out
    d = sfn.describe_execution(executionArn=x)
    eq((d["status"], d.get("error"), d.get("cause")), ("ABORTED", "Boto3.Stop", "because"), "stopped execution")
    assert "output" not in d, d
    types = [e["type"] for e in sfn.get_execution_history(executionArn=x)["events"]]
    eq(types[-1], "ExecutionAborted", "last event")


@check
def versions_and_aliases():
    arn = create("b3-versions", definition("pass.asl.json"))
    v1 = sfn.publish_state_machine_version(stateMachineArn=arn, description="v1")["stateMachineVersionArn"]
    eq(v1, arn + ":1", "version arn")
    sfn.update_state_machine(
        stateMachineArn=arn,
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v2", "End": True}}}),
    )
    v2 = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
    eq(v2, arn + ":2", "second version arn")
    alias = sfn.create_state_machine_alias(
        name="prod", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}]
    )["stateMachineAliasArn"]
    eq(alias, arn + ":prod", "alias arn")
    x = sfn.start_execution(stateMachineArn=alias, input='{"who":"alias"}')["executionArn"]
    d = wait_done(x)
    eq(d["status"], "SUCCEEDED", "status")
    eq(json.loads(d["output"])["out"], {"greeting": "hello alias"}, "output of version 1")
    eq((d.get("stateMachineAliasArn"), d.get("stateMachineVersionArn")), (alias, v1), "alias and version of the execution")
    sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}])
    eq(wait_done(sfn.start_execution(stateMachineArn=alias)["executionArn"])["output"], '"v2"', "output through the updated alias")
    x = sfn.start_execution(stateMachineArn=v1, input='{"who":"v1"}')["executionArn"]
    eq(wait_done(x).get("stateMachineVersionArn"), v1, "execution of a version")
    eq([a["stateMachineAliasArn"] for a in sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]], [alias], "aliases")
    # A version an alias routes to cannot be deleted.
    expect_error("ConflictException", sfn.delete_state_machine_version, stateMachineVersionArn=v2)
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_version(stateMachineVersionArn=v2)
    eq([v["stateMachineVersionArn"] for v in sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]], [v1], "versions left")


def token_of(execution_arn):
    e = wait_event(execution_arn, "TaskScheduled")
    return json.loads(e["taskScheduledEventDetails"]["parameters"])["MessageBody"]["token"]


@check
def task_token_callbacks():
    arn = create("b3-callback", definition("callback.asl.json"))
    ok = sfn.start_execution(stateMachineArn=arn, input='{"n":1}')["executionArn"]
    bad = sfn.start_execution(stateMachineArn=arn, input='{"n":2}')["executionArn"]
    t_ok, t_bad = token_of(ok), token_of(bad)
    assert t_ok != t_bad, "two executions share a token"
    sfn.send_task_heartbeat(taskToken=t_ok)
    sfn.send_task_success(taskToken=t_ok, output='{"yes":true}')
    sfn.send_task_failure(taskToken=t_bad, error="Approval.Denied", cause="no")
    d = wait_done(ok)
    eq((d["status"], json.loads(d["output"])), ("SUCCEEDED", {"n": 1, "answer": {"yes": True}}), "succeeded callback")
    d = wait_done(bad)
    eq((d["status"], d.get("error"), d.get("cause")), ("FAILED", "Approval.Denied", "no"), "failed callback")
    types = [e["type"] for e in sfn.get_execution_history(executionArn=bad)["events"]]
    assert "TaskFailed" in types, types
    expect_error("TaskTimedOut", sfn.send_task_success, taskToken=t_ok, output="{}")
    expect_error("InvalidToken", sfn.send_task_success, taskToken="not-a-token", output="{}")
    x = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    expect_error("InvalidOutput", sfn.send_task_success, taskToken=token_of(x), output="{nope")
    sfn.stop_execution(executionArn=x)


@check
def activity_workers():
    act = sfn.create_activity(name="b3-double")["activityArn"]
    eq(sfn.describe_activity(activityArn=act)["name"], "b3-double", "activity name")
    arn = create("b3-activity", definition("activity.asl.json").replace("ACTIVITY_ARN", act))
    n = 12
    execs = [sfn.start_execution(stateMachineArn=arn, name=f"a{i}", input=json.dumps({"n": i}))["executionArn"] for i in range(n)]
    done = threading.Event()
    lock = threading.Lock()
    handled = []
    errors = []

    def worker(wid):
        # Each worker thread has its own client, as boto3 recommends.
        c = boto3.client("stepfunctions", endpoint_url=ENDPOINT, region_name=REGION,
                         config=Config(retries={"max_attempts": 1}, read_timeout=70))
        while not done.is_set():
            try:
                task = c.get_activity_task(activityArn=act, workerName=f"w{wid}")
                if not task.get("taskToken"):
                    continue
                n_ = json.loads(task["input"])["n"]
                c.send_task_heartbeat(taskToken=task["taskToken"])
                c.send_task_success(taskToken=task["taskToken"], output=json.dumps({"double": 2 * n_, "by": f"w{wid}"}))
                with lock:
                    handled.append(n_)
                    if len(handled) >= n:
                        done.set()
            except Exception as e:  # reported below
                errors.append(repr(e))
                done.set()

    # Daemon threads: a worker still in its long poll when the check ends is left to die.
    for w in range(3):
        threading.Thread(target=worker, args=(w,), daemon=True).start()
    outs = [wait_done(x) for x in execs]
    done.set()
    assert not errors, errors
    eq(sorted(handled), list(range(n)), "tasks handled (each exactly once)")
    for i, d in enumerate(outs):
        eq(d["status"], "SUCCEEDED", f"execution a{i}")
        eq(json.loads(d["output"])["result"]["double"], 2 * i, f"output of a{i}")
    events = sfn.get_execution_history(executionArn=execs[0])["events"]
    types = [e["type"] for e in events]
    for t in ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]:
        assert t in types, f"{t} missing from {types}"
    started = next(e for e in events if e["type"] == "ActivityStarted")
    # AWS records ActivityStarted when a worker takes the task, with the worker's name.
    soft("ActivityStarted names the worker",
         started.get("activityStartedEventDetails", {}).get("workerName", "").startswith("w"),
         f"ActivityStarted event without activityStartedEventDetails.workerName: {started}")
    names = [a["name"] for a in sfn.get_paginator("list_activities").paginate().build_full_result()["activities"]]
    assert "b3-double" in names, names


@check
def validate_definition():
    ok = sfn.validate_state_machine_definition(definition=definition("pass.asl.json"))
    eq((ok["result"], ok["diagnostics"]), ("OK", []), "valid definition")
    bad = sfn.validate_state_machine_definition(definition=definition("invalid.asl.json"))
    eq(bad["result"], "FAIL", "invalid definition")
    assert bad["diagnostics"] and all(d["severity"] == "ERROR" for d in bad["diagnostics"]), bad
    assert all(d["code"] and d["message"] for d in bad["diagnostics"]), bad
    garbage = sfn.validate_state_machine_definition(definition="{")
    eq(garbage["result"], "FAIL", "not JSON")


@check
def express_sync():
    arn = create("b3-express", definition("pass.asl.json"), "EXPRESS")
    out = sfn.start_sync_execution(stateMachineArn=arn, input='{"who":"sync"}')
    eq(out["status"], "SUCCEEDED", "status")
    eq(json.loads(out["output"])["out"], {"greeting": "hello sync"}, "output")
    assert ":express:b3-express:" in out["executionArn"], out["executionArn"]
    std = create("b3-standard", definition("pass.asl.json"))
    expect_error("StateMachineTypeNotSupported", sfn.start_sync_execution, stateMachineArn=std)


@check
def error_codes():
    ok = create("b3-errors", definition("pass.asl.json"))
    missing_sm = sm_arn("b3-missing")
    missing_x = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:b3-errors:missing"
    gone = create("b3-deleted", definition("pass.asl.json"))
    sfn.delete_state_machine(stateMachineArn=gone)
    cases = [
        ("not an ARN", "InvalidArn", sfn.describe_state_machine, dict(stateMachineArn="not-an-arn")),
        ("state machine ARN for an execution", "InvalidArn", sfn.describe_execution, dict(executionArn=ok)),
        ("missing state machine", "StateMachineDoesNotExist", sfn.describe_state_machine, dict(stateMachineArn=missing_sm)),
        ("start on a missing state machine", "StateMachineDoesNotExist", sfn.start_execution, dict(stateMachineArn=missing_sm)),
        # The state machine is looked for before the name and the input are checked.
        ("missing state machine before name and input", "StateMachineDoesNotExist", sfn.start_execution,
         dict(stateMachineArn=missing_sm, name="a b", input="{")),
        ("start on a deleted state machine", "StateMachineDoesNotExist", sfn.start_execution, dict(stateMachineArn=gone)),
        ("missing execution", "ExecutionDoesNotExist", sfn.describe_execution, dict(executionArn=missing_x)),
        ("history of a missing execution", "ExecutionDoesNotExist", sfn.get_execution_history, dict(executionArn=missing_x)),
        ("stop of a missing execution", "ExecutionDoesNotExist", sfn.stop_execution, dict(executionArn=missing_x)),
        ("state machine of a missing execution", "ExecutionDoesNotExist", sfn.describe_state_machine_for_execution,
         dict(executionArn=missing_x)),
        ("execution name with a space", "InvalidName", sfn.start_execution, dict(stateMachineArn=ok, name="a b")),
        ("state machine name with a slash", "InvalidName", sfn.create_state_machine,
         dict(name="bad/name", definition=definition("pass.asl.json"), roleArn=ROLE)),
        ("input that is not JSON", "InvalidExecutionInput", sfn.start_execution, dict(stateMachineArn=ok, input="{not json")),
        ("definition with a missing target", "InvalidDefinition", sfn.create_state_machine,
         dict(name="b3-invalid", definition=definition("invalid.asl.json"), roleArn=ROLE)),
        ("definition that is not JSON", "InvalidDefinition", sfn.create_state_machine,
         dict(name="b3-invalid", definition="{", roleArn=ROLE)),
        ("same name, other definition", "StateMachineAlreadyExists", sfn.create_state_machine,
         dict(name="b3-errors", definition=definition("wait.asl.json"), roleArn=ROLE)),
        ("unknown status filter", "ValidationException", sfn.list_executions, dict(stateMachineArn=ok, statusFilter="SLEEPING")),
        ("maxResults over 1000", "ValidationException", sfn.list_executions, dict(stateMachineArn=ok, maxResults=1001)),
        ("garbage nextToken", "InvalidToken", sfn.list_executions, dict(stateMachineArn=ok, nextToken="garbage")),
        ("missing activity", "ActivityDoesNotExist", sfn.describe_activity,
         dict(activityArn=f"arn:aws:states:{REGION}:{ACCOUNT}:activity:b3-none")),
        ("unknown task token", "InvalidToken", sfn.send_task_failure, dict(taskToken="x" * 40)),
        ("missing alias", "ResourceNotFound", sfn.describe_state_machine_alias, dict(stateMachineAliasArn=ok + ":nope")),
        # Model constraints are checked first and answer ValidationException, as AWS's
        # request validation does (recorded: "Value '...' at 'name' failed to satisfy
        # constraint: Member must have length less than or equal to 80").
        ("execution name of 81 characters", "ValidationException", sfn.start_execution, dict(stateMachineArn=ok, name="n" * 81)),
        ("input over 262144 bytes", "ValidationException", sfn.start_execution,
         dict(stateMachineArn=ok, input='"' + "a" * 262144 + '"')),
    ]
    for label, want, fn, kwargs in cases:
        code, msg = error_code(fn, **kwargs)
        soft(label, code == want, f"{fn.__name__}({short(kwargs)}): got {code} ({msg[:160]}), want {want}")

    # Messages that clients show and scripts match, as AWS words them.
    _, msg = error_code(sfn.describe_state_machine, stateMachineArn="not-an-arn")
    soft("message of InvalidArn for a non-ARN", msg == "Invalid Arn: 'Invalid ARN prefix: not-an-arn'",
         f"message {msg!r}, AWS: \"Invalid Arn: 'Invalid ARN prefix: not-an-arn'\"")
    _, msg = error_code(sfn.start_execution, stateMachineArn=ok, input="{not json")
    soft("message of InvalidExecutionInput", msg.startswith("Invalid State Machine Execution Input: '"),
         f"message {msg!r}, AWS: \"Invalid State Machine Execution Input: '<parser message>'\"")


def main():
    names = sys.argv[2:]
    for fn in CHECKS:
        if names and fn.__name__ not in names:
            continue
        t0 = time.monotonic()
        _current[0] = fn.__name__
        try:
            fn()
            line = {"check": fn.__name__, "ok": True, "detail": ""}
        except Exception:
            line = {"check": fn.__name__, "ok": False, "detail": traceback.format_exc()}
        emit(line["check"], line["ok"], line["detail"], round(time.monotonic() - t0, 3))


if __name__ == "__main__":
    main()
