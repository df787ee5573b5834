"""Writes sigv4_botocore.json: requests signed by botocore at a fixed time, which the Go
verifier must accept (sigv4_test.go). Run: python3 sigv4_botocore.py > sigv4_botocore.json"""
import datetime, json
from unittest import mock
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NOW = datetime.datetime(2026, 1, 1, 12, 0, 0)
CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
HOST = "http://127.0.0.1:8083"

def sign(name, signer, method, path, headers=None, body=b"", params=None):
    req = AWSRequest(method=method, url=HOST + path, headers=headers or {}, data=body, params=params or {})
    req.context["timestamp"] = NOW.strftime("%Y%m%dT%H%M%SZ")
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=NOW):
        signer.add_auth(req)
    prepared = req.prepare()
    url = prepared.url[len(HOST):]
    return {
        "name": name,
        "method": method,
        "target": url,
        "headers": [[k, v] for k, v in prepared.headers.items()],
        "body": prepared.body.decode() if isinstance(prepared.body, bytes) else (prepared.body or ""),
    }

cases = [
    sign("stepfunctions json", botocore.auth.SigV4Auth(CREDS, "states", "us-east-1"), "POST", "/",
         {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.StartExecution"},
         b'{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:a", "input": "{\\"x\\": \\"<\\u00e9>\\"}"}'),
    sign("lambda path with escapes and query", botocore.auth.SigV4Auth(CREDS, "lambda", "eu-west-1"), "POST",
         "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Af/invocations?Qualifier=%24LATEST",
         {"X-Amz-Invocation-Type": "RequestResponse", "X-Custom": "  a   b  c "}, b'{"k": 1}'),
    sign("sts query form", botocore.auth.SigV4Auth(CREDS, "sts", "us-east-1"), "POST", "/",
         {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, b"Action=GetCallerIdentity&Version=2011-06-15"),
    sign("s3 put with payload hash", botocore.auth.S3SigV4Auth(CREDS, "s3", "us-east-1"), "PUT",
         "/my-bucket/dir/a%20b%2Bc~d.txt?x-id=PutObject", {"Content-Type": "text/plain"}, b"hello, world"),
    sign("s3 list with escaped query", botocore.auth.S3SigV4Auth(CREDS, "s3", "us-east-1"), "GET",
         "/my-bucket?list-type=2&prefix=a%2Fb&delimiter=%2F&encoding-type=url"),
    sign("s3 presigned get", botocore.auth.S3SigV4QueryAuth(CREDS, "s3", "us-east-1", expires=3600), "GET",
         "/my-bucket/key%20with%20space.txt"),
]
print(json.dumps({"now": NOW.strftime("%Y%m%dT%H%M%SZ"), "accessKeyId": CREDS.access_key,
                  "secretAccessKey": CREDS.secret_key, "cases": cases}, indent=1))
