package build

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io/fs"
	"path/filepath"
	"strings"
)

// Reads is the record of what one build read from its source root: every
// question it asked the file system (a file's content, whether a path
// exists or is a directory, a directory's listing, a glob, a walk) with
// its answer, folded into a digest. Asking the same questions of another
// root (Replay) tells whether a build there would read the same input,
// without building: the artifact of a new revision leaves a build
// unchanged when every answer is the same.
//
// Files the build generates in memory (a kustomization for a directory
// without one) are not recorded: they follow from what was read. The zero
// value records nothing until passed as Options.Reads.
type Reads struct {
	ops  []readOp
	seen map[readOp]bool
	h    hash.Hash
}

// readOp is one question asked of the file system: the operation and the
// path relative to the root (or a pattern, for a glob).
type readOp struct {
	op   byte
	path string
}

// The operations recorded.
const (
	opRead    byte = 'r' // content (ReadFile, Open)
	opExists  byte = 'e' // Exists
	opIsDir   byte = 'd' // IsDir
	opReadDir byte = 'l' // ReadDir: the names on disk
	opGlob    byte = 'g' // Glob: the matches, relative to the root
	opWalk    byte = 'w' // Walk: every path below, with its type
	opAbs     byte = 'a' // CleanedAbs: the directory and file name
)

// Digest is the digest of every answer recorded, in the order asked.
func (r *Reads) Digest() string {
	if r == nil || r.h == nil {
		return ""
	}
	return hex.EncodeToString(r.h.Sum(nil))
}

// Len is the number of distinct questions recorded.
func (r *Reads) Len() int {
	if r == nil {
		return 0
	}
	return len(r.ops)
}

// note records the answer to one question; a question asked again (the
// build reads some files more than once) is recorded once.
func (r *Reads) note(op byte, path string, answer []byte) {
	if r == nil {
		return
	}
	k := readOp{op: op, path: path}
	if r.seen[k] {
		return
	}
	if r.h == nil {
		r.h, r.seen = sha256.New(), map[readOp]bool{}
	}
	r.seen[k] = true
	r.ops = append(r.ops, k)
	var n [8]byte
	r.h.Write([]byte{op})
	binary.BigEndian.PutUint64(n[:], uint64(len(path)))
	r.h.Write(n[:])
	r.h.Write([]byte(path))
	binary.BigEndian.PutUint64(n[:], uint64(len(answer)))
	r.h.Write(n[:])
	r.h.Write(answer)
}

// Replay asks the recorded questions of root, in the same order, and
// returns the digest of its answers: equal to Digest when a build in root
// would read exactly what the recorded build read.
func (r *Reads) Replay(root string) (string, error) {
	c, err := newConfinedFS(root)
	if err != nil {
		return "", err
	}
	again := &Reads{}
	c.reads = again
	for _, q := range r.ops {
		p := q.path
		if q.op != opGlob {
			p = filepath.Join(c.root, filepath.FromSlash(q.path))
		}
		switch q.op {
		case opRead:
			_, _ = c.ReadFile(p)
		case opExists:
			c.Exists(p)
		case opIsDir:
			c.IsDir(p)
		case opReadDir:
			_, _ = c.ReadDir(p)
		case opGlob:
			_, _ = c.Glob(filepath.Join(c.root, filepath.FromSlash(q.path)))
		case opWalk:
			_ = c.Walk(p, func(string, fs.FileInfo, error) error { return nil })
		case opAbs:
			_, _, _ = c.CleanedAbs(p)
		}
	}
	// A question that cannot be asked again the same way (its path now
	// resolves outside the root) leaves a shorter record: a change.
	if again.Len() != r.Len() {
		return "", nil
	}
	return again.Digest(), nil
}

// record notes the answer to a question about path, relative to the root;
// paths outside the root are not recorded (a build reading them fails).
func (c *confinedFS) record(op byte, path string, answer []byte) {
	if c.reads == nil {
		return
	}
	p := path
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.root, p)
	}
	p = filepath.Clean(p)
	if !inside(c.root, p) {
		return
	}
	c.reads.note(op, c.rel(p), answer)
}

// recordErr notes a question whose answer was an error.
func (c *confinedFS) recordErr(op byte, path string) {
	c.record(op, path, []byte{0xff, 'E'})
}

// boolAnswer encodes a yes or no.
func boolAnswer(b bool) []byte {
	if b {
		return []byte{1}
	}
	return []byte{0}
}

// listAnswer encodes a list of names or paths.
func listAnswer(names []string) []byte {
	return []byte(strings.Join(names, "\x00"))
}

// contentAnswer encodes a file's content by its digest.
func contentAnswer(data []byte) []byte {
	sum := sha256.Sum256(data)
	return sum[:]
}
