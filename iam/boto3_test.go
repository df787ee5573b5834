package iam

import (
	"encoding/json"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/clienttest"
)

// TestBoto3 drives every IAM, STS and Secrets Manager operation through boto3: shapes
// (policy documents decoded back to dicts, tags, dates), pagination with MaxItems,
// errors as typed exceptions, and an assumed role's credentials identifying the caller.
func TestBoto3(t *testing.T) {
	t.Parallel()
	clienttest.NeedPython(t, "boto3")
	s := newServer(t)
	script := `
import boto3, json, sys, string
from botocore.config import Config
url = sys.argv[1]
raw = Config(parameter_validation=False)  # let the server see what it must refuse
iam = boto3.client("iam", endpoint_url=url, config=raw)
sts = boto3.client("sts", endpoint_url=url, config=raw)
sm = boto3.client("secretsmanager", endpoint_url=url, config=raw)
out = {}
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
def err(f, **kw):
    try:
        f(**kw)
    except Exception as e:
        r = e.response
        return [r["Error"]["Code"], r["Error"]["Message"], r["Error"].get("Type"), r["ResponseMetadata"]["HTTPStatusCode"]]
    return None

r = iam.create_role(RoleName="Trainer", Path="/ml/", Description="trains", MaxSessionDuration=7200,
    AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "ml"}])["Role"]
out["created"] = {"arn": r["Arn"], "path": r["Path"], "doc": r["AssumeRolePolicyDocument"], "tags": r["Tags"],
    "max": r["MaxSessionDuration"], "desc": r["Description"], "date": type(r["CreateDate"]).__name__}
for i in range(3):
    iam.create_role(RoleName="R%d" % i, AssumeRolePolicyDocument=trust)
out["dup"] = err(iam.create_role, RoleName="trainer", AssumeRolePolicyDocument=trust)
out["missing"] = err(iam.get_role, RoleName="Nobody")
pages = list(iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 2}))
out["pages"] = [[x["RoleName"] for x in p["Roles"]] for p in pages]
out["prefix"] = [x["RoleName"] for x in iam.list_roles(PathPrefix="/ml/")["Roles"]]

iam.update_assume_role_policy(RoleName="Trainer", PolicyDocument=json.dumps({"Version": "2012-10-17",
    "Statement": {"Effect": "Allow", "Principal": {"Service": ["states.amazonaws.com", "lambda.amazonaws.com"]}, "Action": "sts:AssumeRole"}}))
out["updatedTrust"] = iam.get_role(RoleName="trainer")["Role"]["AssumeRolePolicyDocument"]["Statement"]["Principal"]
out["badTrust"] = err(iam.update_assume_role_policy, RoleName="Trainer", PolicyDocument=json.dumps({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}))

inline = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}
iam.put_role_policy(RoleName="Trainer", PolicyName="read-b", PolicyDocument=json.dumps(inline))
out["inline"] = iam.get_role_policy(RoleName="Trainer", PolicyName="read-b")["PolicyDocument"]
out["inlineNames"] = iam.list_role_policies(RoleName="Trainer")["PolicyNames"]
out["inlineMissing"] = err(iam.get_role_policy, RoleName="Trainer", PolicyName="nope")
out["deleteInline"] = err(iam.delete_role, RoleName="Trainer")
iam.delete_role_policy(RoleName="Trainer", PolicyName="READ-B")

doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sagemaker:*"], "Resource": "*"}]}
p = iam.create_policy(PolicyName="SageMakerAll", Path="/ml/", PolicyDocument=json.dumps(doc), Description="all of it")["Policy"]
out["policy"] = {k: p[k] for k in ("Arn", "Path", "DefaultVersionId", "AttachmentCount", "IsAttachable")}
out["policyDup"] = err(iam.create_policy, PolicyName="sagemakerall", PolicyDocument=json.dumps(doc))
iam.attach_role_policy(RoleName="Trainer", PolicyArn=p["Arn"])
iam.attach_role_policy(RoleName="Trainer", PolicyArn=p["Arn"])
iam.attach_role_policy(RoleName="Trainer", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
out["attached"] = iam.list_attached_role_policies(RoleName="Trainer")["AttachedPolicies"]
out["count"] = iam.get_policy(PolicyArn=p["Arn"])["Policy"]["AttachmentCount"]
out["version"] = iam.get_policy_version(PolicyArn=p["Arn"], VersionId="v1")["PolicyVersion"]["Document"]
out["awsPolicy"] = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")["Policy"]["Path"]
out["local"] = [x["PolicyName"] for x in iam.list_policies(Scope="Local")["Policies"]]
out["onlyAttachedAWS"] = [x["PolicyName"] for x in iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]]
out["awsCount"] = len(iam.list_policies(Scope="AWS")["Policies"])
out["deleteAttached"] = err(iam.delete_policy, PolicyArn=p["Arn"])
out["badDoc"] = err(iam.create_policy, PolicyName="X", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}))

creds = sts.assume_role(RoleArn=r["Arn"], RoleSessionName="train-1", DurationSeconds=900)
c = creds["Credentials"]
out["creds"] = [c["AccessKeyId"][:4], len(c["AccessKeyId"]), len(c["SecretAccessKey"]), type(c["Expiration"]).__name__, creds["AssumedRoleUser"]["Arn"]]
as_role = boto3.client("sts", endpoint_url=url, aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
ident = as_role.get_caller_identity()
out["assumed"] = [ident["Arn"], ident["UserId"].endswith(":train-1"), ident["Account"]]
out["root"] = sts.get_caller_identity()["Arn"]
out["tooLong"] = err(sts.assume_role, RoleArn=r["Arn"], RoleSessionName="s", DurationSeconds=900)
out["overMax"] = err(sts.assume_role, RoleArn=r["Arn"], RoleSessionName="long", DurationSeconds=7201)

pw = sm.get_random_password()["RandomPassword"]
out["pw"] = [len(pw), any(ch in string.ascii_lowercase for ch in pw), any(ch in string.ascii_uppercase for ch in pw),
    any(ch in string.digits for ch in pw), any(ch in string.punctuation for ch in pw), " " in pw]
out["pwSpace"] = sm.get_random_password(PasswordLength=4, ExcludeCharacters="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", ExcludePunctuation=True, IncludeSpace=True)["RandomPassword"]
out["pwNone"] = err(sm.get_random_password, ExcludeNumbers=True, ExcludePunctuation=True, ExcludeUppercase=True, ExcludeLowercase=True)
out["pwShort"] = err(sm.get_random_password, PasswordLength=2)
out["pwZero"] = err(sm.get_random_password, PasswordLength=0)

iam.detach_role_policy(RoleName="Trainer", PolicyArn=p["Arn"])
iam.detach_role_policy(RoleName="Trainer", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
iam.delete_policy(PolicyArn=p["Arn"])
iam.delete_role(RoleName="Trainer")
out["afterDelete"] = err(iam.get_policy, PolicyArn=p["Arn"])
print(json.dumps(out))
`
	var got map[string]any
	if err := json.Unmarshal([]byte(s.python(t, script)), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"created": `{"arn":"arn:aws:iam::123456789012:role/ml/Trainer","date":"datetime","desc":"trains",` +
			`"doc":{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"}}],"Version":"2012-10-17"},` +
			`"max":7200,"path":"/ml/","tags":[{"Key":"team","Value":"ml"}]}`,
		"dup":             `["EntityAlreadyExists","Role with name trainer already exists.","Sender",409]`,
		"missing":         `["NoSuchEntity","The role with name Nobody cannot be found.","Sender",404]`,
		"pages":           `[["R0","R1"],["R2","Trainer"]]`,
		"prefix":          `["Trainer"]`,
		"updatedTrust":    `{"Service":["states.amazonaws.com","lambda.amazonaws.com"]}`,
		"badTrust":        `["MalformedPolicyDocument","Missing required field Principal","Sender",400]`,
		"inline":          `{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"arn:aws:s3:::b/*"}],"Version":"2012-10-17"}`,
		"inlineNames":     `["read-b"]`,
		"inlineMissing":   `["NoSuchEntity","The role policy with name nope cannot be found.","Sender",404]`,
		"deleteInline":    `["DeleteConflict","Cannot delete entity, must delete policies first.","Sender",409]`,
		"policy":          `{"Arn":"arn:aws:iam::123456789012:policy/ml/SageMakerAll","AttachmentCount":0,"DefaultVersionId":"v1","IsAttachable":true,"Path":"/ml/"}`,
		"policyDup":       `["EntityAlreadyExists","A policy called sagemakerall already exists. Duplicate names are not allowed.","Sender",409]`,
		"attached":        `[{"PolicyArn":"arn:aws:iam::123456789012:policy/ml/SageMakerAll","PolicyName":"SageMakerAll"},{"PolicyArn":"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole","PolicyName":"AWSLambdaBasicExecutionRole"}]`,
		"count":           `1`,
		"version":         `{"Statement":[{"Action":["sagemaker:*"],"Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`,
		"awsPolicy":       `"/service-role/"`,
		"local":           `["SageMakerAll"]`,
		"onlyAttachedAWS": `["AWSLambdaBasicExecutionRole"]`,
		"awsCount":        `20`,
		"deleteAttached":  `["DeleteConflict","Cannot delete a policy attached to entities.","Sender",409]`,
		"badDoc":          `["MalformedPolicyDocument","Policy statement must contain resources.","Sender",400]`,
		"creds":           `["ASIA",20,40,"datetime","arn:aws:sts::123456789012:assumed-role/Trainer/train-1"]`,
		"assumed":         `["arn:aws:sts::123456789012:assumed-role/Trainer/train-1",true,"123456789012"]`,
		"root":            `"arn:aws:iam::123456789012:root"`,
		"overMax":         `["ValidationError","The requested DurationSeconds exceeds the MaxSessionDuration set for this role.","Sender",400]`,
		"pw":              `[32,true,true,true,true,false]`,
		"pwSpace":         `"    "`,
		"pwNone":          `["InvalidParameterException","The password cannot be generated: every character is excluded.",null,400]`,
		"pwShort":         `["InvalidParameterException","The password length 2 is too short to include a character of each of the 4 included types.",null,400]`,
		"afterDelete":     `["NoSuchEntity","Policy arn:aws:iam::123456789012:policy/ml/SageMakerAll was not found.","Sender",404]`,
	}
	for k, w := range want {
		b, _ := json.Marshal(got[k])
		if string(b) != w {
			t.Errorf("%s:\n got %s\nwant %s", k, b, w)
		}
	}
	if b, _ := json.Marshal(got["tooLong"]); string(b) == "null" {
		t.Errorf("a one-character session name was accepted")
	}
	if b, _ := json.Marshal(got["pwZero"]); string(b) == "null" {
		t.Errorf("PasswordLength 0 was accepted")
	}
}
