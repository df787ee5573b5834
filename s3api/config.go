package s3api

import (
	"context"
	"sync"
)

// BucketConfig is what S3 keeps about a bucket beyond its objects, and objstore does
// not: its region, versioning state, default encryption and tags. stepwise records them
// and returns them; it does not act on them (see Versioning).
type BucketConfig struct {
	// Location is the LocationConstraint the bucket was created with ("" for us-east-1).
	Location string `json:"location,omitempty"`
	// Versioning is "", "Enabled" or "Suspended". Objects keep one version whatever it
	// says: ListObjectVersions lists each current object as version "null".
	Versioning string `json:"versioning,omitempty"`
	// Encryption is the default-encryption rule; nil means S3's default (SSE-S3, AES256).
	Encryption *EncryptionRule `json:"encryption,omitempty"`
	// Tags are the bucket's tags; nil means none.
	Tags []Tag `json:"tags,omitempty"`
	// EventBridge is set by a notification configuration with
	// <EventBridgeConfiguration/>: object events go to EventBridge.
	EventBridge bool `json:"eventBridge,omitempty"`
}

// EncryptionRule is a bucket's default server-side encryption.
type EncryptionRule struct {
	SSEAlgorithm     string `json:"sseAlgorithm"`
	KMSMasterKeyID   string `json:"kmsMasterKeyId,omitempty"`
	BucketKeyEnabled bool   `json:"bucketKeyEnabled,omitempty"`
}

// Tag is a key and value.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ConfigStore keeps BucketConfigs by bucket name. A bucket without one has the zero
// BucketConfig.
type ConfigStore interface {
	BucketConfig(ctx context.Context, bucket string) (BucketConfig, error)
	PutBucketConfig(ctx context.Context, bucket string, c BucketConfig) error
	DeleteBucketConfig(ctx context.Context, bucket string) error
}

// MemoryConfig is a ConfigStore in memory: settings last as long as the process.
type MemoryConfig struct {
	mu sync.Mutex
	m  map[string]BucketConfig
}

// NewMemoryConfig makes an empty MemoryConfig.
func NewMemoryConfig() *MemoryConfig { return &MemoryConfig{m: map[string]BucketConfig{}} }

// BucketConfig returns bucket's settings.
func (m *MemoryConfig) BucketConfig(_ context.Context, bucket string) (BucketConfig, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.m[bucket]
	c.Tags = append([]Tag(nil), c.Tags...)
	if c.Encryption != nil {
		e := *c.Encryption
		c.Encryption = &e
	}
	return c, nil
}

// PutBucketConfig replaces bucket's settings.
func (m *MemoryConfig) PutBucketConfig(_ context.Context, bucket string, c BucketConfig) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[bucket] = c
	return nil
}

// DeleteBucketConfig forgets bucket's settings.
func (m *MemoryConfig) DeleteBucketConfig(_ context.Context, bucket string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, bucket)
	return nil
}
