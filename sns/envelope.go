package sns

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SNS's SignatureVersion 1 is SHA1withRSA
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/jsonv"
	"github.com/stepwise-dev/stepwise/store"
)

// Message types of SNS's HTTP messages.
const (
	typeNotification   = "Notification"
	typeConfirmation   = "SubscriptionConfirmation"
	typeUnsubscribeCfm = "UnsubscribeConfirmation"
)

// signer signs notifications with the server's key, as SNS signs its own: the key and
// its self-signed certificate are made once and kept in the store, and the certificate
// is served at SigningCertURL.
type signer struct {
	key     *rsa.PrivateKey
	certPEM []byte
	file    string // SimpleNotificationService-<hash>.pem
}

type signingKeyDoc struct {
	Key  string `json:"Key"`
	Cert string `json:"Cert"`
}

func loadSigner(ctx context.Context, st store.Store, now time.Time) (*signer, error) {
	for range 2 {
		r, err := st.ResourceGet(ctx, &store.ResourceGetParams{Kind: kindSigningKey, Name: "default"})
		if err == nil {
			var d signingKeyDoc
			if err := json.Unmarshal(r.Doc, &d); err != nil {
				return nil, err
			}
			return parseSigner(d)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		d, err := newSigningKey(now)
		if err != nil {
			return nil, err
		}
		doc, _ := json.Marshal(d)
		_, err = st.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: kindSigningKey, Name: "default", Status: "Active", Doc: doc, CreatedAt: now})
		if err == nil {
			return parseSigner(d)
		}
		if !errors.Is(err, store.ErrAlreadyExists) {
			return nil, err
		}
	}
	return nil, errors.New("signing key: lost a race twice")
}

func newSigningKey(now time.Time) (signingKeyDoc, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return signingKeyDoc{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return signingKeyDoc{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "sns.stepwise.local", Organization: []string{"stepwise"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(20, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return signingKeyDoc{}, err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return signingKeyDoc{}, err
	}
	return signingKeyDoc{
		Key:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})),
		Cert: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
	}, nil
}

func parseSigner(d signingKeyDoc) (*signer, error) {
	kb, _ := pem.Decode([]byte(d.Key))
	if kb == nil {
		return nil, errors.New("stored signing key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("stored signing key is not RSA")
	}
	sum := sha256.Sum256([]byte(d.Cert))
	return &signer{key: key, certPEM: []byte(d.Cert), file: "SimpleNotificationService-" + hex.EncodeToString(sum[:16]) + ".pem"}, nil
}

// sign signs the canonical string of a message: "Name\nValue\n" for each signed member
// in SNS's order. Version "2" is SHA256withRSA, anything else SHA1withRSA.
func (g *signer) sign(version string, fields []field) (string, error) {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f.name + "\n" + f.value + "\n")
	}
	var sig []byte
	var err error
	if version == "2" {
		sum := sha256.Sum256([]byte(b.String()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, g.key, crypto.SHA256, sum[:])
	} else {
		sum := sha1.Sum([]byte(b.String())) //nolint:gosec // SignatureVersion 1 is SHA1withRSA
		sig, err = rsa.SignPKCS1v15(rand.Reader, g.key, crypto.SHA1, sum[:])
	}
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// certURL is SigningCertURL.
func (s *Service) certURL() string {
	s.mu.Lock()
	g := s.signer
	s.mu.Unlock()
	file := "SimpleNotificationService.pem"
	if g != nil {
		file = g.file
	}
	return s.baseURL() + api.InternalPrefix + "sns/" + file
}

func (s *Service) serveCertificate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	g := s.signer
	s.mu.Unlock()
	if g == nil || r.PathValue("file") != g.file {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-x509-ca-cert")
	_, _ = w.Write(g.certPEM)
}

type field struct{ name, value string }

// envelope is an SNS HTTP message: members in SNS's order, with the signature.
type envelope struct {
	fields []field // in the order they are written
	attrs  []envelopeAttribute
}

// timestamp is SNS's form: UTC with milliseconds.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// notificationEnvelope builds the JSON message of a notification to one subscription.
func (s *Service) notificationEnvelope(m *Message, body, subArn, sigVersion string) (envelope, error) {
	ts := timestamp(m.Timestamp)
	signed := []field{{"Message", body}, {"MessageId", m.MessageID}}
	if m.Subject != "" {
		signed = append(signed, field{"Subject", m.Subject})
	}
	signed = append(signed, field{"Timestamp", ts}, field{"TopicArn", m.TopicArn}, field{"Type", typeNotification})
	sig, err := s.signature(sigVersion, signed)
	if err != nil {
		return envelope{}, err
	}
	e := envelope{fields: []field{{"Type", typeNotification}, {"MessageId", m.MessageID}, {"TopicArn", m.TopicArn}}}
	if m.Subject != "" {
		e.fields = append(e.fields, field{"Subject", m.Subject})
	}
	e.fields = append(e.fields, field{"Message", body}, field{"Timestamp", ts}, field{"SignatureVersion", sigVersion},
		field{"Signature", sig}, field{"SigningCertURL", s.certURL()}, field{"UnsubscribeURL", s.unsubscribeURL(subArn)})
	e.attrs = envelopeAttributes(m.MessageAttributes)
	return e, nil
}

// confirmationEnvelope builds a SubscriptionConfirmation message.
func (s *Service) confirmationEnvelope(rec *subscriptionRecord, id, link, sigVersion string, now time.Time) (envelope, error) {
	msg := fmt.Sprintf("You have chosen to subscribe to the topic %s.\nTo confirm the subscription, visit the SubscribeURL included in this message.", rec.TopicArn)
	ts := timestamp(now)
	sig, err := s.signature(sigVersion, []field{{"Message", msg}, {"MessageId", id}, {"SubscribeURL", link},
		{"Timestamp", ts}, {"Token", rec.Token}, {"TopicArn", rec.TopicArn}, {"Type", typeConfirmation}})
	if err != nil {
		return envelope{}, err
	}
	return envelope{fields: []field{{"Type", typeConfirmation}, {"MessageId", id}, {"Token", rec.Token},
		{"TopicArn", rec.TopicArn}, {"Message", msg}, {"SubscribeURL", link}, {"Timestamp", ts},
		{"SignatureVersion", sigVersion}, {"Signature", sig}, {"SigningCertURL", s.certURL()}}}, nil
}

func (s *Service) signature(version string, fields []field) (string, error) {
	s.mu.Lock()
	g := s.signer
	s.mu.Unlock()
	if g == nil {
		return "", errors.New("sns: the service was not started (no signing key)")
	}
	return g.sign(version, fields)
}

// bytes writes the envelope as SNS does: one member per line, `"Name" : value`.
func (e envelope) bytes() []byte {
	b := []byte("{\n")
	for i, f := range e.fields {
		if i > 0 {
			b = append(b, ",\n"...)
		}
		b = append(b, "  "...)
		b = jsonv.AppendString(b, f.name)
		b = append(b, " : "...)
		b = jsonv.AppendString(b, f.value)
	}
	if len(e.attrs) > 0 {
		b = append(b, ",\n  \"MessageAttributes\" : {\n"...)
		for i, a := range e.attrs {
			if i > 0 {
				b = append(b, ",\n"...)
			}
			b = append(b, "    "...)
			b = jsonv.AppendString(b, a.Name)
			b = append(b, ` : {"Type":`...)
			b = jsonv.AppendString(b, a.Type)
			b = append(b, `,"Value":`...)
			b = jsonv.AppendString(b, a.Value)
			b = append(b, '}')
		}
		b = append(b, "\n  }"...)
	}
	return append(b, "\n}"...)
}

// lambdaEvent is the event a lambda subscription's function receives.
func (s *Service) lambdaEvent(m *Message, body, subArn string) ([]byte, error) {
	env, err := s.notificationEnvelope(m, body, subArn, "1")
	if err != nil {
		return nil, err
	}
	get := func(name string) string {
		for _, f := range env.fields {
			if f.name == name {
				return f.value
			}
		}
		return ""
	}
	attrs := jsonv.NewObject(len(env.attrs))
	for _, a := range env.attrs {
		attrs.Set(a.Name, jsonv.ObjectOf("Type", a.Type, "Value", a.Value))
	}
	var subject any
	if m.Subject != "" {
		subject = m.Subject
	}
	record := jsonv.ObjectOf(
		"EventSource", "aws:sns",
		"EventVersion", "1.0",
		"EventSubscriptionArn", subArn,
		"Sns", jsonv.ObjectOf(
			"Type", typeNotification,
			"MessageId", m.MessageID,
			"TopicArn", m.TopicArn,
			"Subject", subject,
			"Message", body,
			"Timestamp", get("Timestamp"),
			"SignatureVersion", "1",
			"Signature", get("Signature"),
			"SigningCertUrl", get("SigningCertURL"),
			"UnsubscribeUrl", get("UnsubscribeURL"),
			"MessageAttributes", attrs,
		),
	)
	return jsonv.Marshal(jsonv.ObjectOf("Records", []any{record})), nil
}
