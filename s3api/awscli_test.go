package s3api

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// awsCLI runs the real aws CLI (v1) against one server.
type awsCLI struct {
	t   *testing.T
	url string
	env []string
	dir string // working directory
}

func newAWSCLI(t *testing.T, s *testServer, key, secret string) *awsCLI {
	t.Helper()
	needTool(t, "aws")
	return &awsCLI{t: t, url: s.URL, env: clientEnv(t, key, secret), dir: t.TempDir()}
}

func (c *awsCLI) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	return runCmd(c.t, c.env, c.dir, "aws", append([]string{"--cli-read-timeout", "30", "--endpoint-url", c.url, "--output", "json"}, args...)...)
}

// ok runs a command that must succeed, decoding its JSON output into out when not nil.
func (c *awsCLI) ok(out any, args ...string) string {
	c.t.Helper()
	stdout, stderr, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("aws %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(stdout), out); err != nil {
			c.t.Fatalf("aws %s: %v in %q", strings.Join(args, " "), err, stdout)
		}
	}
	return stdout
}

// fails runs a command that must fail with stderr containing want.
func (c *awsCLI) fails(want string, args ...string) {
	c.t.Helper()
	_, stderr, code := c.run(args...)
	if code == 0 || !strings.Contains(stderr, want) {
		c.t.Fatalf("aws %s: exit %d, want a failure with %q; stderr %q", strings.Join(args, " "), code, want, stderr)
	}
}

// writeFile writes a file under the CLI's working directory.
func (c *awsCLI) writeFile(name string, data []byte) string {
	c.t.Helper()
	p := filepath.Join(c.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		c.t.Fatal(err)
	}
	return p
}

func (c *awsCLI) readFile(name string) []byte {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// tree is a set of files by relative path.
var tree = map[string][]byte{
	"a.txt":                []byte("alpha\n"),
	"dir/b.txt":            []byte("beta\n"),
	"dir/sub/c.json":       []byte(`{"c":3}`),
	"with space/d e.txt":   []byte("spaces\n"),
	"plus+sign/f+g.txt":    []byte("plus\n"),
	"unicodé/naïve.txt":    []byte("unicode\n"),
	"empty.bin":            {},
	"dir/sub/deep/x/y.csv": []byte("1,2\n3,4\n"),
}

func TestAWSCLIS3Commands(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, serverOpts{})
	aws := newAWSCLI(t, s, "test", "test")

	aws.ok(nil, "s3", "mb", "s3://cli-bucket")
	out := aws.ok(nil, "s3", "ls")
	if !strings.Contains(out, "cli-bucket") {
		t.Fatalf("aws s3 ls: %q", out)
	}
	aws.fails("BucketAlreadyOwnedByYou", "s3", "mb", "s3://cli-bucket")
	aws.fails("InvalidBucketName", "s3", "mb", "s3://No_Such")

	// cp up and down.
	aws.writeFile("one.txt", []byte("one file\n"))
	aws.ok(nil, "s3", "cp", "one.txt", "s3://cli-bucket/single/one.txt")
	aws.ok(nil, "s3", "cp", "s3://cli-bucket/single/one.txt", "one-back.txt")
	if got := aws.readFile("one-back.txt"); string(got) != "one file\n" {
		t.Fatalf("round trip: %q", got)
	}

	// cp --recursive, ls, download --recursive.
	for name, data := range tree {
		aws.writeFile(filepath.Join("tree", name), data)
	}
	aws.ok(nil, "s3", "cp", "--recursive", "tree", "s3://cli-bucket/tree/")
	out = aws.ok(nil, "s3", "ls", "--recursive", "s3://cli-bucket/tree/")
	for name := range tree {
		if !strings.Contains(out, "tree/"+name+"\n") {
			t.Errorf("ls --recursive lacks %s:\n%s", name, out)
		}
	}
	aws.ok(nil, "s3", "cp", "--recursive", "s3://cli-bucket/tree/", "tree-back")
	for name, data := range tree {
		if got := aws.readFile(filepath.Join("tree-back", name)); !bytes.Equal(got, data) {
			t.Errorf("%s came back as %q", name, got)
		}
	}
	out = aws.ok(nil, "s3", "ls", "s3://cli-bucket/tree/")
	for _, want := range []string{"PRE dir/", "PRE with space/", "PRE plus+sign/", "PRE unicodé/", " a.txt\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("ls lacks %q:\n%s", want, out)
		}
	}
	out = aws.ok(nil, "s3", "ls", "--recursive", "--human-readable", "s3://cli-bucket/tree/dir/")
	if !strings.Contains(out, "Bytes tree/dir/b.txt") {
		t.Errorf("ls --human-readable:\n%s", out)
	}

	// sync twice: the second run has nothing to do.
	aws.ok(nil, "s3", "sync", "tree", "s3://cli-bucket/synced/")
	if out := aws.ok(nil, "s3", "sync", "tree", "s3://cli-bucket/synced/"); strings.TrimSpace(out) != "" {
		t.Errorf("second sync copied again:\n%s", out)
	}
	aws.ok(nil, "s3", "sync", "s3://cli-bucket/synced/", "synced-back")
	if out := aws.ok(nil, "s3", "sync", "s3://cli-bucket/synced/", "synced-back"); strings.TrimSpace(out) != "" {
		t.Errorf("second sync down copied again:\n%s", out)
	}

	// mv within S3 and from local.
	aws.ok(nil, "s3", "mv", "s3://cli-bucket/single/one.txt", "s3://cli-bucket/moved/one.txt")
	aws.fails("404", "s3api", "head-object", "--bucket", "cli-bucket", "--key", "single/one.txt")
	aws.ok(nil, "s3api", "head-object", "--bucket", "cli-bucket", "--key", "moved/one.txt")

	// A key with "..": stays in the bucket.
	aws.ok(nil, "s3", "cp", "one.txt", "s3://cli-bucket/../../etc/passwd")
	if outside := walkOutside(t, s.Dir, s.Root); len(outside) > 0 {
		t.Fatalf("written outside the store: %v", outside)
	}

	// Multipart: the CLI splits at 8 MiB.
	for i, size := range []int{9 << 20, 20 << 20} {
		data := randomBytes(size, uint64(i+1))
		name := "big" + string(rune('0'+i)) + ".bin"
		aws.writeFile(name, data)
		aws.ok(nil, "s3", "cp", name, "s3://cli-bucket/big/"+name)
		var head struct {
			ContentLength int64
			ETag          string
		}
		aws.ok(&head, "s3api", "head-object", "--bucket", "cli-bucket", "--key", "big/"+name)
		if head.ContentLength != int64(size) || !strings.Contains(head.ETag, "-") {
			t.Errorf("%s: head-object %+v, want a multipart ETag", name, head)
		}
		aws.ok(nil, "s3", "cp", "s3://cli-bucket/big/"+name, "back-"+name)
		if sha256.Sum256(aws.readFile("back-"+name)) != sha256.Sum256(data) {
			t.Errorf("%s did not round-trip", name)
		}
	}
	var uploads struct{ Uploads []any }
	if out := aws.ok(nil, "s3api", "list-multipart-uploads", "--bucket", "cli-bucket"); strings.TrimSpace(out) != "" {
		_ = json.Unmarshal([]byte(out), &uploads)
		if len(uploads.Uploads) > 0 {
			t.Errorf("uploads left behind: %s", out)
		}
	}

	// rm --recursive and rb.
	aws.ok(nil, "s3", "rm", "--recursive", "s3://cli-bucket/")
	var listed struct{ Contents []any }
	if out := aws.ok(nil, "s3api", "list-objects-v2", "--bucket", "cli-bucket"); strings.TrimSpace(out) != "" {
		_ = json.Unmarshal([]byte(out), &listed)
		if len(listed.Contents) > 0 {
			t.Errorf("rm --recursive left: %s", out)
		}
	}
	aws.ok(nil, "s3", "rb", "s3://cli-bucket")
	aws.fails("NoSuchBucket", "s3", "ls", "s3://cli-bucket")
}

func TestAWSCLIS3API(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, serverOpts{})
	aws := newAWSCLI(t, s, "test", "test")
	const b = "seed-bucket"
	aws.ok(nil, "s3", "mb", "s3://"+b)

	// The seed walkthrough's setup.
	aws.ok(nil, "s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "Status=Enabled")
	// The walkthrough writes "Rules=[{ApplyServerSideEncryptionByDefault:{SSEAlgorithm:AES256}}]",
	// which the CLI itself refuses (shorthand nests with '='); this is what it means.
	aws.ok(nil, "s3api", "put-bucket-encryption", "--bucket", b, "--server-side-encryption-configuration",
		"Rules=[{ApplyServerSideEncryptionByDefault={SSEAlgorithm=AES256}}]")
	var ver struct{ Status string }
	aws.ok(&ver, "s3api", "get-bucket-versioning", "--bucket", b)
	if ver.Status != "Enabled" {
		t.Errorf("get-bucket-versioning: %+v", ver)
	}
	var enc struct {
		ServerSideEncryptionConfiguration struct {
			Rules []struct {
				ApplyServerSideEncryptionByDefault struct{ SSEAlgorithm string }
			}
		}
	}
	aws.ok(&enc, "s3api", "get-bucket-encryption", "--bucket", b)
	if r := enc.ServerSideEncryptionConfiguration.Rules; len(r) != 1 || r[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != "AES256" {
		t.Errorf("get-bucket-encryption: %+v", enc)
	}
	for _, folder := range []string{"raw-data/", "processed-data/", "model-artifacts/", "code/"} {
		aws.ok(nil, "s3api", "put-object", "--bucket", b, "--key", folder)
	}
	aws.writeFile("train.csv", []byte("x,y\n1,2\n"))
	aws.ok(nil, "s3", "cp", "train.csv", "s3://"+b+"/raw-data/")

	var v2 struct {
		Contents       []struct{ Key string }
		CommonPrefixes []struct{ Prefix string }
	}
	aws.ok(&v2, "s3api", "list-objects-v2", "--bucket", b, "--delimiter", "/")
	var prefixes []string
	for _, p := range v2.CommonPrefixes {
		prefixes = append(prefixes, p.Prefix)
	}
	sort.Strings(prefixes)
	if strings.Join(prefixes, ",") != "code/,model-artifacts/,processed-data/,raw-data/" || len(v2.Contents) != 0 {
		t.Errorf("list-objects-v2 --delimiter /: %+v", v2)
	}
	aws.ok(&v2, "s3api", "list-objects-v2", "--bucket", b, "--prefix", "raw-data/", "--delimiter", "/")
	if len(v2.Contents) != 2 || v2.Contents[0].Key != "raw-data/" || v2.Contents[1].Key != "raw-data/train.csv" {
		t.Errorf("list-objects-v2 --prefix raw-data/: %+v", v2)
	}

	aws.fails("(404) when calling the HeadObject operation", "s3api", "head-object", "--bucket", b, "--key", "nope")
	aws.fails("NoSuchKey", "s3api", "get-object", "--bucket", b, "--key", "nope", "out.bin")
	var got struct {
		ContentRange  string
		ContentLength int64
	}
	aws.ok(&got, "s3api", "get-object", "--bucket", b, "--key", "raw-data/train.csv", "--range", "bytes=2-5", "part.bin")
	if got.ContentRange != "bytes 2-5/8" || string(aws.readFile("part.bin")) != "y\n1," {
		t.Errorf("get-object --range: %+v %q", got, aws.readFile("part.bin"))
	}

	var copied struct{ CopyObjectResult struct{ ETag string } }
	aws.ok(&copied, "s3api", "copy-object", "--bucket", b, "--key", "processed-data/train copy.csv",
		"--copy-source", b+"/raw-data/train.csv", "--metadata-directive", "REPLACE", "--metadata", "stage=processed",
		"--content-type", "text/csv")
	var head struct {
		ContentType string
		Metadata    map[string]string
	}
	aws.ok(&head, "s3api", "head-object", "--bucket", b, "--key", "processed-data/train copy.csv")
	if head.ContentType != "text/csv" || head.Metadata["stage"] != "processed" || copied.CopyObjectResult.ETag == "" {
		t.Errorf("copy-object REPLACE: %+v %+v", copied, head)
	}

	var del struct {
		Deleted []struct{ Key string }
		Errors  []any
	}
	aws.ok(&del, "s3api", "delete-objects", "--bucket", b, "--delete", `{"Objects":[{"Key":"code/"},{"Key":"not-there"}]}`)
	if len(del.Deleted) != 2 || len(del.Errors) != 0 {
		t.Errorf("delete-objects: %+v", del)
	}

	// The seed walkthrough's cleanup: versions of everything, deleted in one call.
	var versions struct {
		Versions []struct {
			Key       string
			VersionID string `json:"VersionId"`
			IsLatest  bool
		}
	}
	aws.ok(&versions, "s3api", "list-object-versions", "--bucket", b)
	if len(versions.Versions) != 5 || versions.Versions[0].VersionID != "null" || !versions.Versions[0].IsLatest {
		t.Errorf("list-object-versions: %+v", versions)
	}
	query := aws.ok(nil, "s3api", "list-object-versions", "--bucket", b, "--query", "{Objects: Versions[].{Key:Key,VersionId:VersionId}}")
	aws.ok(nil, "s3api", "delete-objects", "--bucket", b, "--delete", query)
	aws.ok(nil, "s3", "rm", "s3://"+b, "--recursive")
	aws.ok(nil, "s3", "rb", "s3://"+b)
}

// TestAWSCLISigned runs the CLI against a server that checks signatures.
func TestAWSCLISigned(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, serverOpts{creds: map[string]string{"AKIDSIGNED": "signed-secret"}})
	aws := newAWSCLI(t, s, "AKIDSIGNED", "signed-secret")
	aws.ok(nil, "s3", "mb", "s3://signed")
	data := randomBytes(9<<20, 7)
	aws.writeFile("big.bin", data)
	aws.writeFile("small.txt", []byte("small"))
	aws.ok(nil, "s3", "cp", "big.bin", "s3://signed/big.bin")
	aws.ok(nil, "s3", "cp", "small.txt", "s3://signed/small.txt")
	aws.ok(nil, "s3", "cp", "s3://signed/big.bin", "back.bin")
	if !bytes.Equal(aws.readFile("back.bin"), data) {
		t.Error("signed multipart upload did not round-trip")
	}
	wrong := newAWSCLI(t, s, "AKIDSIGNED", "not-the-secret")
	wrong.fails("SignatureDoesNotMatch", "s3api", "put-object", "--bucket", "signed", "--key", "x")
	unknown := newAWSCLI(t, s, "AKIDOTHER", "signed-secret")
	unknown.fails("InvalidAccessKeyId", "s3", "ls", "s3://signed")
}
