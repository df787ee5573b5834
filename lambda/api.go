package lambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/api"
)

// apiPrefix is the path of Lambda's function operations.
const apiPrefix = "/2015-03-31/functions"

// Default page size of ListFunctions.
const defaultMaxItems = 50

// maxClientContext bounds X-Amz-Client-Context (base64).
const maxClientContext = 3583

// restService is Lambda's REST-JSON API for the dispatcher.
func (s *Service) restService() *api.RESTService {
	return &api.RESTService{
		SigningName:     "lambda",
		Protocol:        api.ProtocolRESTJSON,
		Match:           api.PathPrefix("/2015-03-31/"),
		MaxRequestBytes: maxCreateBody,
		MapError:        mapError,
		Handler:         s.serveAPI,
	}
}

// route is a request's operation and the function it names.
type route struct {
	op       string
	function string // raw, unescaped; "" for the collection
}

// routeOf finds the operation of a request from its method and path.
func routeOf(method, escapedPath string) (route, bool) {
	rest, ok := strings.CutPrefix(escapedPath, apiPrefix)
	if !ok {
		return route{}, false
	}
	rest = strings.TrimPrefix(rest, "/")
	if rest == "" {
		switch method {
		case http.MethodGet:
			return route{op: "ListFunctions"}, true
		case http.MethodPost:
			return route{op: "CreateFunction"}, true
		}
		return route{}, false
	}
	seg := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	name, err := url.PathUnescape(seg[0])
	if err != nil || name == "" || len(seg) > 2 {
		return route{}, false
	}
	sub := ""
	if len(seg) == 2 {
		sub = seg[1]
	}
	ops := map[string]string{
		http.MethodGet + " ":                    "GetFunction",
		http.MethodDelete + " ":                 "DeleteFunction",
		http.MethodGet + " configuration":       "GetFunctionConfiguration",
		http.MethodPut + " configuration":       "UpdateFunctionConfiguration",
		http.MethodPut + " code":                "UpdateFunctionCode",
		http.MethodPost + " invocations":        "Invoke",
		http.MethodPost + " invoke-async":       "InvokeAsync",
		http.MethodGet + " concurrency":         "GetFunctionConcurrency",
		http.MethodGet + " code-signing-config": "GetFunctionCodeSigningConfig",
	}
	op, ok := ops[method+" "+sub]
	if !ok {
		return route{}, false
	}
	return route{op: op, function: name}, true
}

func (s *Service) serveAPI(ctx context.Context, w http.ResponseWriter, r *http.Request, body []byte) error {
	rt, ok := routeOf(r.Method, r.URL.EscapedPath())
	if !ok {
		return lambdaError("UnknownOperationException", http.StatusNotFound,
			"No Lambda operation matches %s %s: stepwise serves CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions, UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction and Invoke.", r.Method, r.URL.Path)
	}
	info := api.RequestInfoFrom(ctx)
	reqID := ""
	if info != nil {
		info.Operation = rt.op
		reqID = info.RequestID
	}
	q := r.URL.Query()
	switch rt.op {
	case "CreateFunction":
		var in createInput
		if err := decodeBody(body, &in); err != nil {
			return err
		}
		c, err := s.createFunction(ctx, &in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, c)
	case "ListFunctions":
		maxItems := defaultMaxItems
		if v := q.Get("MaxItems"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 10000 {
				return errValidation(&v, "maxItems", "Member must have value between 1 and 10000")
			}
			maxItems = n
		}
		fns, next, err := s.listFunctions(ctx, q.Get("Marker"), maxItems)
		if err != nil {
			return err
		}
		out := struct {
			NextMarker string                  `json:"NextMarker,omitempty"`
			Functions  []FunctionConfiguration `json:"Functions"`
		}{next, fns}
		return writeJSON(w, http.StatusOK, out)
	}
	name, err := s.resolve(rt.function, q.Get("Qualifier"))
	if err != nil {
		return err
	}
	switch rt.op {
	case "GetFunction":
		doc, _, err := s.getFunction(ctx, name)
		if err != nil {
			return err
		}
		out := struct {
			Configuration FunctionConfiguration `json:"Configuration"`
			Code          struct {
				RepositoryType string `json:"RepositoryType"`
				Location       string `json:"Location"`
			} `json:"Code"`
			Tags map[string]string `json:"Tags,omitempty"`
		}{Configuration: doc.Configuration, Tags: doc.Tags}
		out.Code.RepositoryType = "S3"
		out.Code.Location = codeLocation(r, s.cfg.Endpoint, name, doc.CodeID)
		return writeJSON(w, http.StatusOK, out)
	case "GetFunctionConfiguration":
		doc, _, err := s.getFunction(ctx, name)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, doc.Configuration)
	case "GetFunctionConcurrency":
		if _, _, err := s.getFunction(ctx, name); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, struct{}{})
	case "GetFunctionCodeSigningConfig":
		if _, _, err := s.getFunction(ctx, name); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, struct {
			CodeSigningConfigArn string
			FunctionName         string
		}{"", name})
	case "DeleteFunction":
		if err := s.deleteFunction(ctx, name); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case "UpdateFunctionCode":
		var in updateCodeInput
		if err := decodeBody(body, &in); err != nil {
			return err
		}
		c, err := s.updateFunctionCode(ctx, name, &in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, c)
	case "UpdateFunctionConfiguration":
		var in updateConfigInput
		if err := decodeBody(body, &in); err != nil {
			return err
		}
		c, err := s.updateFunctionConfiguration(ctx, name, &in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, c)
	case "InvokeAsync":
		res, err := s.invoke(ctx, &invokeParams{FunctionName: rt.function, InvocationType: invokeAsync, Payload: body, RequestID: reqID})
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusAccepted, struct {
			Status int `json:"Status"`
		}{res.StatusCode})
	case "Invoke":
		in, err := decodeInvoke(r.Header, q, rt.function, body)
		if err != nil {
			return err
		}
		in.RequestID = reqID
		res, err := s.invoke(ctx, in)
		if err != nil {
			return err
		}
		writeInvoke(w, res)
		return nil
	}
	return fmt.Errorf("lambda: operation %s has no handler", rt.op)
}

// decodeInvoke reads Invoke's parameters from its headers, query and body.
func decodeInvoke(h http.Header, q url.Values, function string, body []byte) (*invokeParams, error) {
	in := &invokeParams{
		FunctionName:   function,
		Qualifier:      q.Get("Qualifier"),
		InvocationType: h.Get("X-Amz-Invocation-Type"),
		ClientContext:  h.Get("X-Amz-Client-Context"),
		Payload:        body,
	}
	switch lt := h.Get("X-Amz-Log-Type"); lt {
	case "", "None":
	case "Tail":
		in.Tail = true
	default:
		return nil, errValidation(&lt, "logType", "Member must satisfy enum value set: [None, Tail]")
	}
	if len(in.ClientContext) > maxClientContext {
		return nil, errValidation(nil, "clientContext", "Member must have length less than or equal to 3583")
	}
	return in, nil
}

// writeInvoke writes Invoke's reply: the payload as the body, the rest in headers.
func writeInvoke(w http.ResponseWriter, res *invokeResult) {
	h := w.Header()
	h.Set("X-Amz-Executed-Version", latest)
	if res.FunctionError != "" {
		h.Set("X-Amz-Function-Error", res.FunctionError)
	}
	if res.LogResult != "" {
		h.Set("X-Amz-Log-Result", res.LogResult)
	}
	if res.StatusCode != http.StatusOK {
		h.Set("Content-Length", "0")
		w.WriteHeader(res.StatusCode)
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(res.Payload)))
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(res.Payload)
}

// decodeClientContext checks X-Amz-Client-Context (base64 JSON) and returns its JSON.
func decodeClientContext(b64 string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !json.Valid(b) {
		return "", lambdaError(codeInvalidContent, http.StatusBadRequest, "Client context must be a valid Base64-encoded JSON object.")
	}
	return string(b), nil
}

func encodeTail(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// decodeBody reads a JSON request body; an empty body is an empty request.
func decodeBody(body []byte, into any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, into); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return lambdaError(codeInvalidContent, http.StatusBadRequest, "Could not parse request body into json: Cannot deserialize value of type `%s` for field %s", te.Value, te.Field)
		}
		return lambdaError(codeInvalidContent, http.StatusBadRequest, "Could not parse request body into json: %s", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}
