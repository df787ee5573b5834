package iam

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/clienttest"
)

const (
	sagemakerTrust = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": "sagemaker.amazonaws.com"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}
`
	statesTrust = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": "states.amazonaws.com"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}
`
	statesPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "sagemaker:CreateProcessingJob",
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeEndpoint"
      ],
      "Resource": "*"
    },
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject"],
      "Resource": ["arn:aws:s3:::ml-pipeline-bucket-abc123", "arn:aws:s3:::ml-pipeline-bucket-abc123/*"]
    },
    {
      "Effect": "Allow",
      "Action": ["iam:PassRole"],
      "Resource": "arn:aws:iam::123456789012:role/SageMakerMLPipelineRole-abc123"
    },
    {
      "Effect": "Allow",
      "Action": ["lambda:InvokeFunction"],
      "Resource": "arn:aws:lambda:us-east-1:123456789012:function:EvaluateModel"
    }
  ]
}
`
	lambdaTrust = `{
         "Version": "2012-10-17",
         "Statement": [
           {
             "Effect": "Allow",
             "Principal": {
               "Service": "lambda.amazonaws.com"
             },
             "Action": "sts:AssumeRole"
           }
         ]
       }`
)

// TestSeedWalkthroughIAM runs every IAM, STS and Secrets Manager command of the seed
// walkthrough (003) with the aws CLI, as written there but for --endpoint-url: the
// account and suffix lookups, the three roles and their policies, the role ARN
// lookups, and the cleanup, which leaves nothing behind. The cleanup's order matters:
// IAM refuses to delete a role or a policy that is still attached.
func TestSeedWalkthroughIAM(t *testing.T) {
	t.Parallel()
	clienttest.NeedTool(t, "aws")
	s := newServer(t)

	account := strings.TrimSpace(s.mustAWS(t, "sts", "get-caller-identity", "--query", "Account", "--output", "text"))
	if account != "123456789012" {
		t.Fatalf("account: %q", account)
	}
	suffix := strings.TrimSpace(s.mustAWS(t, "secretsmanager", "get-random-password", "--exclude-punctuation", "--exclude-uppercase",
		"--password-length", "6", "--require-each-included-type", "--output", "text", "--query", "RandomPassword"))
	if !regexp.MustCompile(`^[a-z0-9]{6}$`).MatchString(suffix) || !strings.ContainsAny(suffix, digits) || !strings.ContainsAny(suffix, lowercase) {
		t.Fatalf("suffix: %q", suffix)
	}
	smRole, sfRole := "SageMakerMLPipelineRole-"+suffix, "StepFunctionsMLPipelineRole-"+suffix

	writeFile(t, s.dir, "sagemaker-trust-policy.json", sagemakerTrust)
	out := s.mustAWS(t, "iam", "create-role", "--role-name", smRole, "--assume-role-policy-document", "file://sagemaker-trust-policy.json")
	var created struct {
		Role struct {
			RoleName, RoleId, Arn, Path, CreateDate string
			AssumeRolePolicyDocument                map[string]any
		}
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("create-role: %v: %s", err, out)
	}
	r := created.Role
	if r.RoleName != smRole || r.Arn != "arn:aws:iam::123456789012:role/"+smRole || r.Path != "/" ||
		!regexp.MustCompile(`^AROA[A-Z2-7]{17}$`).MatchString(r.RoleId) || r.CreateDate == "" ||
		r.AssumeRolePolicyDocument["Version"] != "2012-10-17" {
		t.Fatalf("create-role: %s", out)
	}
	s.mustAWS(t, "iam", "attach-role-policy", "--role-name", smRole, "--policy-arn", "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess")
	s.mustAWS(t, "iam", "attach-role-policy", "--role-name", smRole, "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3FullAccess")
	if arn := strings.TrimSpace(s.mustAWS(t, "iam", "get-role", "--role-name", smRole, "--query", "Role.Arn", "--output", "text")); arn != r.Arn {
		t.Fatalf("get-role: %q", arn)
	}

	writeFile(t, s.dir, "step-functions-trust-policy.json", statesTrust)
	s.mustAWS(t, "iam", "create-role", "--role-name", sfRole, "--assume-role-policy-document", "file://step-functions-trust-policy.json")
	writeFile(t, s.dir, "step-functions-sagemaker-policy.json", statesPolicy)
	out = s.mustAWS(t, "iam", "create-policy", "--policy-name", "StepFunctionsSageMakerPolicy", "--policy-document", "file://step-functions-sagemaker-policy.json")
	if !strings.Contains(out, `"Arn": "arn:aws:iam::123456789012:policy/StepFunctionsSageMakerPolicy"`) || !strings.Contains(out, `"DefaultVersionId": "v1"`) {
		t.Fatalf("create-policy: %s", out)
	}
	policyArn := "arn:aws:iam::" + account + ":policy/StepFunctionsSageMakerPolicy"
	s.mustAWS(t, "iam", "attach-role-policy", "--role-name", sfRole, "--policy-arn", policyArn)
	if arn := strings.TrimSpace(s.mustAWS(t, "iam", "get-role", "--role-name", sfRole, "--query", "Role.Arn", "--output", "text")); arn != "arn:aws:iam::123456789012:role/"+sfRole {
		t.Fatalf("get-role: %q", arn)
	}

	lambdaArn := strings.TrimSpace(s.mustAWS(t, "iam", "create-role", "--role-name", "LambdaEvaluateModelRole",
		"--assume-role-policy-document", lambdaTrust, "--query", "Role.Arn", "--output", "text"))
	if lambdaArn != "arn:aws:iam::123456789012:role/LambdaEvaluateModelRole" {
		t.Fatalf("lambda role: %q", lambdaArn)
	}
	s.mustAWS(t, "iam", "attach-role-policy", "--role-name", "LambdaEvaluateModelRole", "--policy-arn", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
	s.mustAWS(t, "iam", "attach-role-policy", "--role-name", "LambdaEvaluateModelRole", "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")

	// Out of order: still attached.
	_, stderr, code := s.aws(t, "iam", "delete-role", "--role-name", smRole)
	if code == 0 || !strings.Contains(stderr, "An error occurred (DeleteConflict) when calling the DeleteRole operation: Cannot delete entity, must detach all policies first.") {
		t.Fatalf("delete attached role: %d %s", code, stderr)
	}
	_, stderr, code = s.aws(t, "iam", "delete-policy", "--policy-arn", policyArn)
	if code == 0 || !strings.Contains(stderr, "(DeleteConflict) when calling the DeletePolicy operation: Cannot delete a policy attached to entities.") {
		t.Fatalf("delete attached policy: %d %s", code, stderr)
	}

	// The walkthrough's cleanup, in its order.
	for _, args := range [][]string{
		{"iam", "detach-role-policy", "--role-name", smRole, "--policy-arn", "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"},
		{"iam", "detach-role-policy", "--role-name", smRole, "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3FullAccess"},
		{"iam", "delete-role", "--role-name", smRole},
		{"iam", "detach-role-policy", "--role-name", sfRole, "--policy-arn", policyArn},
		{"iam", "delete-role", "--role-name", sfRole},
		{"iam", "delete-policy", "--policy-arn", policyArn},
		{"iam", "detach-role-policy", "--role-name", "LambdaEvaluateModelRole", "--policy-arn", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
		{"iam", "detach-role-policy", "--role-name", "LambdaEvaluateModelRole", "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
		{"iam", "delete-role", "--role-name", "LambdaEvaluateModelRole"},
	} {
		s.mustAWS(t, args...)
	}
	if out := s.mustAWS(t, "iam", "list-roles", "--output", "json"); !strings.Contains(out, `"Roles": []`) {
		t.Fatalf("roles left: %s", out)
	}
	if out := s.mustAWS(t, "iam", "list-policies", "--scope", "Local", "--output", "json"); !strings.Contains(out, `"Policies": []`) {
		t.Fatalf("policies left: %s", out)
	}
	_, stderr, code = s.aws(t, "iam", "get-role", "--role-name", smRole)
	if code == 0 || !strings.Contains(stderr, "An error occurred (NoSuchEntity) when calling the GetRole operation: The role with name "+smRole+" cannot be found.") {
		t.Fatalf("deleted role: %d %s", code, stderr)
	}
}

// TestCLIErrors: the aws CLI reads IAM's errors as it reads AWS's.
func TestCLIErrors(t *testing.T) {
	t.Parallel()
	clienttest.NeedTool(t, "aws")
	s := newServer(t)
	s.mustAWS(t, "iam", "create-role", "--role-name", "Dup", "--assume-role-policy-document", sagemakerTrust)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"iam", "create-role", "--role-name", "dup", "--assume-role-policy-document", sagemakerTrust},
			"An error occurred (EntityAlreadyExists) when calling the CreateRole operation: Role with name dup already exists."},
		{[]string{"iam", "create-role", "--role-name", "Bad", "--assume-role-policy-document", "{not json"},
			"An error occurred (MalformedPolicyDocument) when calling the CreateRole operation: This policy contains invalid Json"},
		{[]string{"iam", "create-role", "--role-name", "has space", "--assume-role-policy-document", sagemakerTrust},
			"An error occurred (ValidationError) when calling the CreateRole operation: 1 validation error detected: Value 'has space' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"},
		{[]string{"iam", "attach-role-policy", "--role-name", "Dup", "--policy-arn", "arn:aws:iam::123456789012:policy/Nope"},
			"An error occurred (NoSuchEntity) when calling the AttachRolePolicy operation: Policy arn:aws:iam::123456789012:policy/Nope does not exist or is not attachable."},
		{[]string{"iam", "attach-role-policy", "--role-name", "Dup", "--policy-arn", "not-an-arn-at-all-really"},
			"An error occurred (InvalidInput) when calling the AttachRolePolicy operation: ARN not-an-arn-at-all-really is not valid."},
		{[]string{"iam", "detach-role-policy", "--role-name", "Dup", "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3FullAccess"},
			"An error occurred (NoSuchEntity) when calling the DetachRolePolicy operation: Policy arn:aws:iam::aws:policy/AmazonS3FullAccess was not found."},
		{[]string{"iam", "create-policy", "--policy-name", "P", "--policy-document", sagemakerTrust},
			"An error occurred (MalformedPolicyDocument) when calling the CreatePolicy operation: Policy document should not specify a principal."},
		{[]string{"sts", "assume-role", "--role-arn", "arn:aws:iam::123456789012:role/Nope", "--role-session-name", "s1"},
			"An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::123456789012:root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/Nope"},
	} {
		_, stderr, code := s.aws(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("aws %v: exit %d: %s\nwant %s", c.args, code, stderr, c.want)
		}
	}
}
