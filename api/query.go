package api

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"mime"
	"net/http"
	"net/url"
)

// QueryService is a service spoken in AWS's query protocol (SNS, IAM, STS): the input is
// form fields (Action=Publish&Version=2010-03-31&TopicArn=...), POSTed or in the URL, and
// the reply is XML.
type QueryService struct {
	// SigningName is the service of the SigV4 scope (sns, iam, sts). It picks the
	// service when two serve an action of the same name.
	SigningName string
	// Version is the API version clients send (SNS: 2010-03-31).
	Version string
	// XMLNamespace is the xmlns of replies and errors
	// (SNS: http://sns.amazonaws.com/doc/2010-03-31/).
	XMLNamespace string
	// MaxRequestBytes bounds the body; 0 means DefaultMaxRequestBytes.
	MaxRequestBytes int64
	MapError        ErrorMapper
	// Actions by name, as in Action=.
	Actions map[string]QueryHandler
	// Anonymous are the actions served to unsigned requests even when signatures are
	// checked: links AWS hands out to anyone holding them (SNS's SubscribeURL and
	// UnsubscribeURL, whose tokens and ARNs are the credential). A signed request to
	// them is still verified.
	Anonymous map[string]bool
}

// QueryHandler serves one action. params holds every form field (Action and Version
// included; lists arrive flattened as Name.member.N). The result is encoded with
// encoding/xml as the <ActionResult> element; nil sends a reply with ResponseMetadata
// only.
type QueryHandler func(ctx context.Context, params url.Values) (any, error)

// RegisterQuery adds a query-protocol service.
func (d *Dispatcher) RegisterQuery(s *QueryService) error {
	if s.SigningName == "" {
		return fmt.Errorf("api: query service needs a signing name")
	}
	if d.query[s.SigningName] != nil {
		return fmt.Errorf("api: query service %s registered twice", s.SigningName)
	}
	d.query[s.SigningName] = s
	return nil
}

// isQuery says whether r is shaped as a query-protocol call for a registered query
// service: a form POST or an Action parameter, and no scope naming another service.
func (d *Dispatcher) isQuery(r *http.Request, scope Scope) bool {
	if len(d.query) == 0 {
		return false
	}
	if scope.Service != "" && d.query[scope.Service] == nil {
		return false
	}
	if r.URL.Query().Has("Action") {
		return true
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return r.Method == http.MethodPost && mt == "application/x-www-form-urlencoded"
}

func (d *Dispatcher) serveQuery(w *responseWriter, r *http.Request, info *RequestInfo, target *errorTarget) {
	svc := d.query[info.Scope.Service]
	limit := int64(0)
	if svc != nil {
		limit = svc.MaxRequestBytes
	}
	*target = errorTarget{protocol: ProtocolQuery}
	body, e := readBody(w, r, limit)
	var params url.Values
	if e == nil {
		params = r.URL.Query()
		form, err := url.ParseQuery(string(body))
		if err != nil {
			e = Errorf("MalformedQueryString", "The request body is not a valid form: %v", err)
		}
		for k, vs := range form {
			params[k] = append(params[k], vs...)
		}
	}
	action := params.Get("Action")
	if svc == nil {
		svc = d.queryServiceFor(action)
	}
	if svc != nil {
		*target = errorTarget{protocol: ProtocolQuery, xmlns: svc.XMLNamespace}
		info.Service, info.Operation = svc.SigningName, action
	}
	if e == nil && !(svc != nil && svc.Anonymous[action] && unsigned(r)) {
		e = d.verify(r, info, ProtocolQuery, body, false)
	}
	if e != nil {
		writeError(w, *target, e, info.RequestID)
		return
	}
	var h QueryHandler
	if svc != nil {
		h = svc.Actions[action]
	}
	if h == nil {
		writeError(w, *target, Errorf("InvalidAction", "Could not find operation %s for version %s", action, params.Get("Version")), info.RequestID)
		return
	}
	out, err := h(WithRequestInfo(r.Context(), info), params)
	if err != nil {
		d.fail(w, *target, svc.MapError, info, err)
		return
	}
	reply, err := marshalQueryResult(action, svc.XMLNamespace, info.RequestID, out)
	if err != nil {
		d.fail(w, *target, nil, info, fmt.Errorf("encoding the reply of %s: %w", action, err))
		return
	}
	writeBody(w, http.StatusOK, ProtocolQuery.contentType(), reply)
}

// queryServiceFor finds the one query service with the action, for unsigned requests.
func (d *Dispatcher) queryServiceFor(action string) *QueryService {
	var found *QueryService
	for _, s := range d.query {
		if s.Actions[action] != nil {
			if found != nil {
				return nil
			}
			found = s
		}
	}
	return found
}

// marshalQueryResult writes the query protocol's reply:
// <ActionResponse xmlns=...><ActionResult>...</ActionResult>
// <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata></ActionResponse>.
func marshalQueryResult(action, xmlns, requestID string, result any) ([]byte, error) {
	var b bytes.Buffer
	enc := xml.NewEncoder(&b)
	root := xml.StartElement{Name: xml.Name{Local: action + "Response"}}
	if xmlns != "" {
		root.Attr = []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlns}}
	}
	if err := enc.EncodeToken(root); err != nil {
		return nil, err
	}
	if result != nil {
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return nil, err
		}
	}
	meta := struct {
		RequestID string `xml:"RequestId"`
	}{requestID}
	if err := enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return nil, err
	}
	if err := enc.EncodeToken(root.End()); err != nil {
		return nil, err
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// unsigned reports whether a request carries no signature at all (no Authorization
// header, no presigned query).
func unsigned(r *http.Request) bool {
	return r.Header.Get("Authorization") == "" && !r.URL.Query().Has("X-Amz-Signature")
}
