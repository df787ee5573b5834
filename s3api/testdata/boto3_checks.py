"""boto3 against stepwise's S3 API: managed transfers, paginators, copies, checksums,
errors. Usage: boto3_checks.py URL ACCESS_KEY SECRET WORKDIR [tls]

Prints one JSON line per check: {"check": name, "ok": bool, "detail": str, "skip": str}.
"""

import base64
import hashlib
import json
import os
import socket
import sys
import traceback
import urllib.error
import urllib.request
import ssl
import zlib

import boto3
import botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

URL, KEY, SECRET, WORK = sys.argv[1:5]
TLS = len(sys.argv) > 5 and sys.argv[5] == "tls"

if TLS:
    import urllib3

    urllib3.disable_warnings()

# Virtual-hosted requests go to <bucket>.localhost, which this machine may not resolve.
_getaddrinfo = socket.getaddrinfo


def _resolve_localhost(host, *args, **kwargs):
    if isinstance(host, str) and host.endswith(".localhost"):
        host = "127.0.0.1"
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _resolve_localhost


def client(**cfg):
    s3cfg = cfg.pop("s3", {"addressing_style": "path"})
    return boto3.client(
        "s3",
        endpoint_url=cfg.pop("endpoint_url", URL),
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
        verify=False if TLS else None,
        config=Config(s3=s3cfg, retries={"max_attempts": 1}, **cfg),
    )


s3 = client()
MiB = 1 << 20
results = []


def check(name):
    def wrap(fn):
        try:
            fn()
            out = {"check": name, "ok": True, "detail": ""}
        except Skip as e:
            out = {"check": name, "ok": True, "skip": str(e)}
        except Exception:  # noqa: BLE001 - every failure is reported
            out = {"check": name, "ok": False, "detail": traceback.format_exc()}
        print(json.dumps(out), flush=True)
        return fn

    return wrap


class Skip(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("no error")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


BUCKET = "boto-bucket"
BIG = os.path.join(WORK, "big.bin")
with open(BIG, "wb") as f:
    f.write(os.urandom(12 * MiB + 12345))


@check("create bucket, re-create, head")
def _():
    s3.create_bucket(Bucket=BUCKET)
    try:
        s3.create_bucket(Bucket=BUCKET)
        raise AssertionError("re-create succeeded")
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    s3.head_bucket(Bucket=BUCKET)
    expect(error_code(lambda: s3.head_bucket(Bucket="no-such-bucket")) == "404", "head_bucket of a missing bucket")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    expect(BUCKET in names, names)


@check("upload_file and download_file, multipart")
def _():
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)
    s3.upload_file(BIG, BUCKET, "big/file.bin", Config=cfg)
    head = s3.head_object(Bucket=BUCKET, Key="big/file.bin")
    expect(head["ContentLength"] == os.path.getsize(BIG), head)
    expect(head["ETag"].endswith('-3"'), "ETag %s is not a 3-part ETag" % head["ETag"])
    back = os.path.join(WORK, "big.back")
    s3.download_file(BUCKET, "big/file.bin", back, Config=cfg)
    expect(sha256_file(back) == sha256_file(BIG), "bytes differ after the round trip")
    uploads = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    expect(uploads == [], uploads)


@check("put_object sends a CRC32 and gets it back")
def _():
    data = b"checksummed body\n" * 100
    r = s3.put_object(Bucket=BUCKET, Key="sums/default", Body=data)
    expect(r.get("ChecksumCRC32") == crc32_b64(data), r)
    for alg, field in [("SHA256", "ChecksumSHA256"), ("SHA1", "ChecksumSHA1")]:
        r = s3.put_object(Bucket=BUCKET, Key="sums/" + alg, Body=data, ChecksumAlgorithm=alg)
        expect(field in r, (alg, r))
        if alg == "SHA256":
            expect(r[field] == base64.b64encode(hashlib.sha256(data).digest()).decode(), r)
    got = s3.get_object(Bucket=BUCKET, Key="sums/SHA256", ChecksumMode="ENABLED")["Body"].read()
    expect(got == data, "GetObject body")


@check("put_object with a wrong checksum is refused")
def _():
    code = error_code(lambda: s3.put_object(Bucket=BUCKET, Key="sums/bad", Body=b"abc", ChecksumCRC32="AAAAAA=="))
    expect(code in ("BadDigest", "InvalidRequest"), code)
    expect(error_code(lambda: s3.head_object(Bucket=BUCKET, Key="sums/bad")) == "404", "the refused object exists")


@check("CRC64NVME checksum")
def _():
    try:
        r = s3.put_object(Bucket=BUCKET, Key="sums/crc64", Body=b"123456789", ChecksumAlgorithm="CRC64NVME")
    except botocore.exceptions.MissingDependencyException as e:
        raise Skip("botocore needs awscrt for CRC64NVME: %s" % e)
    expect(r.get("ChecksumCRC64NVME") == base64.b64encode(bytes.fromhex("ae8b14860a799888")).decode(), r)


@check("paginators: list_objects_v2, list_objects, list_object_versions")
def _():
    keys = ["pages/%02d" % i for i in range(7)] + ["pages/sub/a", "pages/sub/b", "pages/other/c"]
    for k in keys:
        s3.put_object(Bucket=BUCKET, Key=k, Body=k.encode())
    for op in ("list_objects_v2", "list_objects"):
        got, pages = [], 0
        for page in s3.get_paginator(op).paginate(Bucket=BUCKET, Prefix="pages/", PaginationConfig={"PageSize": 3}):
            pages += 1
            got += [o["Key"] for o in page.get("Contents", [])]
        expect(got == sorted(keys), (op, got))
        expect(pages == 4, (op, pages))
        got, prefixes = [], []
        for page in s3.get_paginator(op).paginate(Bucket=BUCKET, Prefix="pages/", Delimiter="/", PaginationConfig={"PageSize": 2}):
            got += [o["Key"] for o in page.get("Contents", [])]
            prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        expect(got == ["pages/%02d" % i for i in range(7)], (op, "delimiter", got))
        expect(prefixes == ["pages/other/", "pages/sub/"], (op, prefixes))
    versions = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=BUCKET, Prefix="pages/", PaginationConfig={"PageSize": 4}):
        versions += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
    expect(versions == [(k, "null") for k in sorted(keys)], versions)
    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="pages/", StartAfter="pages/05", MaxKeys=2)
    expect([o["Key"] for o in r["Contents"]] == ["pages/06", "pages/other/c"] and r["KeyCount"] == 2 and r["IsTruncated"], r)
    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="pages/", MaxKeys=1, FetchOwner=True)
    expect("Owner" in r["Contents"][0], r)


@check("keys with spaces, plus signs and unicode list and read back")
def _():
    keys = ["odd/a b+c.txt", "odd/ünï cødé/%41?#&=.txt", "odd/tab\there", "odd/ends with space "]
    for k in keys:
        s3.put_object(Bucket=BUCKET, Key=k, Body=k.encode())
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="odd/")["Contents"]]
    expect(listed == sorted(keys), listed)
    for k in keys:
        expect(s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() == k.encode(), k)
    listed = [o["Key"] for o in s3.list_objects(Bucket=BUCKET, Prefix="odd/")["Contents"]]
    expect(listed == sorted(keys), listed)


@check("copy_object and managed multipart copy")
def _():
    r = s3.copy_object(Bucket=BUCKET, Key="copies/one", CopySource={"Bucket": BUCKET, "Key": "odd/a b+c.txt"})
    expect(s3.get_object(Bucket=BUCKET, Key="copies/one")["Body"].read() == b"odd/a b+c.txt", r)
    s3.put_object(Bucket=BUCKET, Key="copies/meta", Body=b"m", ContentType="text/x-meta", Metadata={"Origin": "boto3"})
    s3.copy_object(Bucket=BUCKET, Key="copies/meta2", CopySource=BUCKET + "/copies/meta")
    head = s3.head_object(Bucket=BUCKET, Key="copies/meta2")
    expect(head["ContentType"] == "text/x-meta" and head["Metadata"] == {"origin": "boto3"}, head)
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    s3.copy({"Bucket": BUCKET, "Key": "big/file.bin"}, BUCKET, "copies/big.bin", Config=cfg)
    head = s3.head_object(Bucket=BUCKET, Key="copies/big.bin")
    expect(head["ContentLength"] == os.path.getsize(BIG) and head["ETag"].endswith('-3"'), head)
    back = os.path.join(WORK, "copy.back")
    s3.download_file(BUCKET, "copies/big.bin", back)
    expect(sha256_file(back) == sha256_file(BIG), "copied bytes differ")


@check("ranged and conditional gets")
def _():
    s3.put_object(Bucket=BUCKET, Key="ranges/r", Body=b"0123456789")
    r = s3.get_object(Bucket=BUCKET, Key="ranges/r", Range="bytes=3-6")
    expect(r["Body"].read() == b"3456" and r["ContentRange"] == "bytes 3-6/10", r)
    etag = r["ETag"]
    expect(error_code(lambda: s3.get_object(Bucket=BUCKET, Key="ranges/r", Range="bytes=20-")) == "InvalidRange", "range")
    expect(error_code(lambda: s3.get_object(Bucket=BUCKET, Key="ranges/r", IfNoneMatch=etag)) == "304", "If-None-Match")
    expect(error_code(lambda: s3.get_object(Bucket=BUCKET, Key="ranges/r", IfMatch='"x"')) == "PreconditionFailed", "If-Match")


@check("errors: NoSuchKey, NoSuchBucket, BucketNotEmpty, NoSuchUpload")
def _():
    try:
        s3.get_object(Bucket=BUCKET, Key="missing")
        raise AssertionError("got a missing key")
    except s3.exceptions.NoSuchKey as e:
        expect(e.response["Error"]["Message"] == "The specified key does not exist.", e.response)
    try:
        s3.list_objects_v2(Bucket="no-such-bucket")
        raise AssertionError("listed a missing bucket")
    except s3.exceptions.NoSuchBucket:
        pass
    expect(error_code(lambda: s3.delete_bucket(Bucket=BUCKET)) == "BucketNotEmpty", "delete non-empty bucket")
    try:
        s3.abort_multipart_upload(Bucket=BUCKET, Key="k", UploadId="nope")
        raise AssertionError("aborted a missing upload")
    except s3.exceptions.NoSuchUpload:
        pass


@check("low-level multipart: list_parts, abort")
def _():
    up = s3.create_multipart_upload(Bucket=BUCKET, Key="mp/low", ChecksumAlgorithm="CRC32")
    uid = up["UploadId"]
    part = s3.upload_part(Bucket=BUCKET, Key="mp/low", UploadId=uid, PartNumber=1, Body=b"x" * (5 * MiB), ChecksumAlgorithm="CRC32")
    expect("ChecksumCRC32" in part, part)
    s3.upload_part(Bucket=BUCKET, Key="mp/low", UploadId=uid, PartNumber=2, Body=b"tail")
    parts = s3.list_parts(Bucket=BUCKET, Key="mp/low", UploadId=uid)["Parts"]
    expect([(p["PartNumber"], p["Size"]) for p in parts] == [(1, 5 * MiB), (2, 4)], parts)
    ups = [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=BUCKET, Prefix="mp/")["Uploads"]]
    expect(ups == [uid], ups)
    s3.complete_multipart_upload(Bucket=BUCKET, Key="mp/low", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]})
    expect(s3.head_object(Bucket=BUCKET, Key="mp/low")["ContentLength"] == 5 * MiB + 4, "completed size")
    up2 = s3.create_multipart_upload(Bucket=BUCKET, Key="mp/aborted")["UploadId"]
    s3.abort_multipart_upload(Bucket=BUCKET, Key="mp/aborted", UploadId=up2)
    expect(s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == [], "upload left after abort")


@check("virtual-hosted addressing")
def _():
    port = URL.rsplit(":", 1)[1]
    scheme = URL.split(":", 1)[0]
    v = client(endpoint_url="%s://localhost:%s" % (scheme, port), s3={"addressing_style": "virtual"})
    v.put_object(Bucket=BUCKET, Key="virtual/key.txt", Body=b"virtual")
    expect(s3.get_object(Bucket=BUCKET, Key="virtual/key.txt")["Body"].read() == b"virtual", "path-style read")
    keys = [o["Key"] for o in v.list_objects_v2(Bucket=BUCKET, Prefix="virtual/")["Contents"]]
    expect(keys == ["virtual/key.txt"], keys)


@check("presigned GET and PUT")
def _():
    ctx = ssl._create_unverified_context() if TLS else None
    # boto3 presigns with SigV2 unless told otherwise; stepwise checks SigV4 only.
    v4 = client(signature_version="s3v4")
    put = v4.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "presigned/k"}, ExpiresIn=300)
    req = urllib.request.Request(put, data=b"presigned body", method="PUT")
    try:
        with urllib.request.urlopen(req, context=ctx) as r:
            expect(r.status == 200, r.status)
    except urllib.error.HTTPError as e:
        raise AssertionError("%s %s: %s" % (put, e, e.read()))
    get = v4.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "presigned/k"}, ExpiresIn=300)
    with urllib.request.urlopen(get, context=ctx) as r:
        expect(r.read() == b"presigned body", "presigned GET body")


@check("bucket settings: versioning, encryption, tagging, location")
def _():
    expect("Status" not in s3.get_bucket_versioning(Bucket=BUCKET), "versioning before")
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    expect(s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Suspended", "versioning after")
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/x"}, "BucketKeyEnabled": True}]})
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    expect(rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/x"} and rule["BucketKeyEnabled"], rule)
    expect(error_code(lambda: s3.get_bucket_tagging(Bucket=BUCKET)) == "NoSuchTagSet", "tagging before")
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "team", "Value": "ml"}]})
    expect(s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"] == [{"Key": "team", "Value": "ml"}], "tags")
    expect(s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] is None, "location")
    s3.create_bucket(Bucket="boto-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    expect(s3.get_bucket_location(Bucket="boto-eu")["LocationConstraint"] == "eu-west-1", "eu location")
    s3.delete_bucket(Bucket="boto-eu")


@check("delete_objects and delete_bucket")
def _():
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        keys += [{"Key": o["Key"]} for o in page.get("Contents", [])]
    for i in range(0, len(keys), 1000):
        r = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": keys[i:i + 1000]})
        expect(len(r.get("Deleted", [])) == len(keys[i:i + 1000]) and not r.get("Errors"), r)
    expect(s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0, "objects left")
    s3.delete_bucket(Bucket=BUCKET)
    expect(error_code(lambda: s3.head_bucket(Bucket=BUCKET)) == "404", "bucket left")
