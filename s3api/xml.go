package s3api

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// xmlns is S3's document namespace.
const xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"

// isoTime is how S3 writes times in XML documents.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// httpTime is how S3 writes times in headers.
func httpTime(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// writeXML sends v as an XML document.
func writeXML(w http.ResponseWriter, status int, v any) error {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if err := xml.NewEncoder(&b).Encode(v); err != nil {
		return fmt.Errorf("encoding reply: %w", err)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
	return nil
}

// decodeXML parses a request document into v; anything malformed is MalformedXML.
func decodeXML(body []byte, v any) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		return errMalformedXML()
	}
	// Nothing but whitespace, comments and processing instructions may follow.
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errMalformedXML()
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return errMalformedXML()
			}
		case xml.Comment, xml.ProcInst:
		default:
			return errMalformedXML()
		}
	}
}

// owner is the one account that owns everything here.
type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

func (s *Service) owner() *owner { return &owner{ID: s.ownerID, DisplayName: "stepwise"} }

// urlEncode encodes a key for encoding-type=url replies: every byte but RFC 3986's
// unreserved characters and '/' percent-encoded (so a space is %20 and '+' is %2B,
// which the clients' unquote_plus turns back into the key).
func urlEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return string(b)
}
