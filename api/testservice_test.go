package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// A tiny Step Functions stand-in: enough operations to see every path of the JSON
// protocol from a real client (typed input and output, pagination, timestamps, an
// *Error, a mapped sentinel error, an unexpected error, a panic).

type testStateMachine struct {
	StateMachineArn string    `json:"stateMachineArn"`
	Name            string    `json:"name"`
	Type            string    `json:"type"`
	CreationDate    Timestamp `json:"creationDate"`
}

type listStateMachinesInput struct {
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

type listStateMachinesOutput struct {
	StateMachines []testStateMachine `json:"stateMachines"`
	NextToken     string             `json:"nextToken,omitempty"`
}

type describeStateMachineInput struct {
	StateMachineArn string `json:"stateMachineArn"`
}

type startExecutionInput struct {
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Input           string `json:"input"`
}

type startExecutionOutput struct {
	ExecutionArn string    `json:"executionArn"`
	StartDate    Timestamp `json:"startDate"`
	// Echo is not in the AWS model: the tests read it in the raw reply.
	Echo string `json:"echo,omitempty"`
}

var errExecutionInput = errors.New("execution input is not valid")

// testCreated is the creation date of the test state machines (with milliseconds, to
// see them survive the trip).
var testCreated = time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)

func testStateMachines(region, account string) []testStateMachine {
	var out []testStateMachine
	for _, n := range []string{"alpha", "beta", "gamma"} {
		out = append(out, testStateMachine{
			StateMachineArn: fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", region, account, n),
			Name:            n, Type: "STANDARD", CreationDate: NewTimestamp(testCreated),
		})
	}
	return out
}

func testStatesService() *JSONService {
	return &JSONService{
		TargetPrefix:   "AWSStepFunctions",
		SigningName:    "states",
		Protocol:       ProtocolJSON10,
		ErrorNamespace: "com.amazonaws.swf.service.v2.model",
		MapError: func(err error) *Error {
			if errors.Is(err, errExecutionInput) {
				return NewError("InvalidExecutionInput", "Invalid State Machine Execution Input: '"+err.Error()+"'")
			}
			return nil
		},
		Operations: map[string]JSONHandler{
			// Pages of two: the aws CLI follows nextToken and joins the pages.
			"ListStateMachines": JSONOp(func(ctx context.Context, in *listStateMachinesInput) (*listStateMachinesOutput, error) {
				ri := RequestInfoFrom(ctx)
				all := testStateMachines(ri.Region, ri.AccountID)
				if in.NextToken == "page2" {
					return &listStateMachinesOutput{StateMachines: all[2:]}, nil
				}
				if in.NextToken != "" {
					return nil, NewError("InvalidToken", "Invalid Token: '"+in.NextToken+"'")
				}
				return &listStateMachinesOutput{StateMachines: all[:2], NextToken: "page2"}, nil
			}),
			"DescribeStateMachine": JSONOp(func(_ context.Context, in *describeStateMachineInput) (*testStateMachine, error) {
				return nil, NewError("StateMachineDoesNotExist", "State Machine Does Not Exist: '"+in.StateMachineArn+"'")
			}),
			"StartExecution": JSONOp(func(ctx context.Context, in *startExecutionInput) (*startExecutionOutput, error) {
				switch in.Name {
				case "bad-input":
					return nil, fmt.Errorf("starting %s: %w", in.Name, errExecutionInput)
				case "unexpected":
					return nil, errors.New("disk on fire")
				case "panic":
					panic("handler bug")
				}
				if RequestInfoFrom(ctx) == nil {
					return nil, errors.New("no request info")
				}
				return &startExecutionOutput{
					ExecutionArn: strings.Replace(in.StateMachineArn, ":stateMachine:", ":execution:", 1) + ":" + in.Name,
					StartDate:    NewTimestamp(testCreated),
					Echo:         in.Input,
				}, nil
			}),
		},
	}
}

// testSTSService answers GetCallerIdentity, to see the query protocol from a client.
func testSTSService() *QueryService {
	type identity struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	}
	return &QueryService{
		SigningName:  "sts",
		Version:      "2011-06-15",
		XMLNamespace: "https://sts.amazonaws.com/doc/2011-06-15/",
		// Not STS's: the test of actions served unsigned uses it.
		Anonymous: map[string]bool{"AssumeRole": true},
		Actions: map[string]QueryHandler{
			"GetCallerIdentity": func(ctx context.Context, _ url.Values) (any, error) {
				ri := RequestInfoFrom(ctx)
				return identity{Arn: "arn:aws:iam::" + ri.AccountID + ":root", UserID: ri.AccountID, Account: ri.AccountID}, nil
			},
			"AssumeRole": func(_ context.Context, p url.Values) (any, error) {
				return nil, Errorf("MalformedPolicyDocument", "role %s: policy is not valid", p.Get("RoleArn"))
			},
		},
	}
}

// testLambdaService answers GetFunction with ResourceNotFoundException, to see the
// REST-JSON error shape from a client.
func testLambdaService() *RESTService {
	return &RESTService{
		SigningName: "lambda",
		Protocol:    ProtocolRESTJSON,
		Match:       PathPrefix("/2015-03-31/functions"),
		Handler: func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ []byte) error {
			RequestInfoFrom(ctx).Operation = "GetFunction"
			name := strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/")
			e := NewError("ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:"+name)
			e.HTTPStatus = http.StatusNotFound
			return e
		},
	}
}

// testS3Service is the catch-all REST-XML service: every bucket is missing.
func testS3Service() *RESTService {
	return &RESTService{
		SigningName: "s3",
		Protocol:    ProtocolRESTXML,
		StreamBody:  true,
		Handler: func(_ context.Context, _ http.ResponseWriter, _ *http.Request, _ []byte) error {
			e := NewError("NoSuchBucket", "The specified bucket does not exist")
			e.HTTPStatus = http.StatusNotFound
			return e
		},
	}
}

func newTestDispatcher(v Verifier) *Dispatcher {
	d := NewDispatcher(Options{Verifier: v, Version: "test"})
	for _, err := range []error{
		d.RegisterJSON(testStatesService()),
		d.RegisterQuery(testSTSService()),
		d.RegisterREST(testLambdaService()),
		d.RegisterREST(testS3Service()),
	} {
		if err != nil {
			panic(err)
		}
	}
	return d
}
