package api

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
)

// Protocol is one of AWS's wire protocols; it decides how requests are read and how
// replies and errors are written.
type Protocol string

// The protocols of the services stepwise serves (botocore's metadata names them
// json/query/rest-json/rest-xml).
const (
	ProtocolJSON10   Protocol = "awsJson1_0" // Step Functions
	ProtocolJSON11   Protocol = "awsJson1_1" // SageMaker, EventBridge, CloudWatch Logs
	ProtocolQuery    Protocol = "awsQuery"   // SNS, IAM, STS
	ProtocolRESTJSON Protocol = "restJson1"  // Lambda, SageMaker Runtime
	ProtocolRESTXML  Protocol = "restXml"    // S3
)

func (p Protocol) contentType() string {
	switch p {
	case ProtocolJSON10:
		return "application/x-amz-json-1.0"
	case ProtocolJSON11:
		return "application/x-amz-json-1.1"
	case ProtocolQuery:
		return "text/xml"
	case ProtocolRESTJSON:
		return "application/json"
	case ProtocolRESTXML:
		return "application/xml"
	}
	return "application/octet-stream"
}

// internalCode is the code of an unexpected failure in each protocol's services.
func (p Protocol) internalCode() string {
	switch p {
	case ProtocolRESTJSON:
		return "ServiceException"
	case ProtocolRESTXML:
		return "InternalError"
	}
	return "InternalFailure"
}

// marshalJSON encodes v as AWS does: no HTML escaping ('<' stays '<'), no trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// writeBody sends a complete reply with its length.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// errorTarget is what writeError needs to know of the service that failed.
type errorTarget struct {
	protocol  Protocol
	namespace string // default "__type" prefix for awsJson
	xmlns     string // query protocol's document namespace
}

// writeError sends e in the protocol's error shape. Every shape carries the code in a
// place botocore reads: awsJson "__type", restJson x-amzn-ErrorType, XML <Code>.
func writeError(w http.ResponseWriter, t errorTarget, e *Error, requestID string) {
	h := w.Header()
	h.Set("x-amzn-ErrorType", e.Code)
	switch t.protocol {
	case ProtocolJSON10, ProtocolJSON11:
		typ := e.Code
		if ns := firstNonEmpty(e.Namespace, t.namespace); ns != "" {
			typ = ns + "#" + e.Code
		}
		body, _ := marshalJSON(struct {
			Type    string `json:"__type"`
			Message string `json:"message,omitempty"`
		}{typ, e.Message})
		writeBody(w, e.Status(), t.protocol.contentType(), body)
	case ProtocolRESTJSON:
		kind := "User"
		if !e.Sender {
			kind = "Service"
		}
		body, _ := marshalJSON(struct {
			Type    string `json:"Type"`
			Message string `json:"message,omitempty"`
		}{kind, e.Message})
		writeBody(w, e.Status(), t.protocol.contentType(), body)
	case ProtocolQuery:
		kind := "Sender"
		if !e.Sender {
			kind = "Receiver"
		}
		var b bytes.Buffer
		b.WriteString(`<ErrorResponse`)
		if t.xmlns != "" {
			b.WriteString(` xmlns="`)
			xmlEscape(&b, t.xmlns)
			b.WriteString(`"`)
		}
		b.WriteString(">\n  <Error>\n    <Type>" + kind + "</Type>\n    <Code>")
		xmlEscape(&b, e.Code)
		b.WriteString("</Code>\n    <Message>")
		xmlEscape(&b, e.Message)
		b.WriteString("</Message>\n  </Error>\n  <RequestId>")
		xmlEscape(&b, requestID)
		b.WriteString("</RequestId>\n</ErrorResponse>\n")
		writeBody(w, e.Status(), t.protocol.contentType(), b.Bytes())
	case ProtocolRESTXML:
		var b bytes.Buffer
		b.WriteString(xml.Header + "<Error><Code>")
		xmlEscape(&b, e.Code)
		b.WriteString("</Code><Message>")
		xmlEscape(&b, e.Message)
		b.WriteString("</Message><RequestId>")
		xmlEscape(&b, requestID)
		b.WriteString("</RequestId></Error>")
		writeBody(w, e.Status(), t.protocol.contentType(), b.Bytes())
	default:
		writeBody(w, e.Status(), "text/plain; charset=utf-8", []byte(e.Error()+"\n"))
	}
}

func xmlEscape(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s))
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
