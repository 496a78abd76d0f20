package ocirepository_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// layerEntry is one entry of a hand-made layer.
type layerEntry struct {
	name, body, link string
	size             int64 // the declared size of a file of zeros
}

// layer builds a gzipped tar of entries, as a hostile publisher could.
func layer(t *testing.T, entries ...layerEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: max(e.size, int64(len(e.body))), ModTime: time.Unix(0, 0)}
		if e.link != "" {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeSymlink, e.link, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
		zeros := make([]byte, 1<<20)
		for left := hdr.Size - int64(len(e.body)); left > 0; left -= int64(len(zeros)) {
			if _, err := tw.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestHostileLayersRefused pushes, over a good artifact, layers that try
// to write outside the directory ferry unpacks them in (a "../" entry, an
// absolute entry, a link to an absolute path, links chained through links,
// a file written through a link), and a decompression bomb (64 MiB of
// zeros in a 64 KiB layer, past the suite's 1 MiB artifact limit). Each
// OCIRepository fails naming the entry, keeps serving the good artifact,
// and no file lands outside the unpacking directory.
func TestHostileLayersRefused(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the controller unpacks layers meanwhile
	ns := env.NewNamespace(t, "ocilayer")
	reg := ocitest.Start(t, ocitest.Options{})
	marker := "ferry-escaped-" + ns
	cases := map[string]struct {
		entries []layerEntry
		want    string
	}{
		"dotdot":        {[]layerEntry{{name: "ok.yaml", body: "a: 1\n"}, {name: "../" + marker, body: "x"}}, "leaves the directory"},
		"dotdot-inside": {[]layerEntry{{name: "a/../../" + marker, body: "x"}}, "leaves the directory"},
		"absolute":      {[]layerEntry{{name: filepath.Join(tmp, marker), body: "x"}}, "absolute entry name"},
		"link-absolute": {[]layerEntry{{name: "etc", link: "/etc"}}, "link to absolute path"},
		"link-up":       {[]layerEntry{{name: "up", link: ".."}, {name: "up/" + marker, body: "x"}}, "leaves the directory"},
		"link-chain":    {[]layerEntry{{name: "l", link: "."}, {name: "l/x", link: ".."}, {name: "l/x/" + marker, body: "x"}}, "leaves the directory"},
		"bomb":          {[]layerEntry{{name: "zeros.yaml", size: 64 << 20}}, "unpacked files larger than 1048576 bytes"},
	}
	good := map[string]string{}
	for name := range cases {
		good[name] = push(t, reg, name, "latest", map[string]string{"ok.yaml": "a: 1\n"})
		create(t, newOCIRepository(ns, name, reg.URL(name)))
	}
	for name, c := range cases {
		key := client.ObjectKey{Namespace: ns, Name: name}
		waitFor(t, key, "Ready", isReadyAt("latest@"+good[name]))
		data := layer(t, c.entries...)
		img, err := oci.Image(data, oci.ContentMediaType, nil)
		if err != nil {
			t.Fatal(err)
		}
		reg.Push(t, name, "latest", img)
		reconcileNow(t, key)
		o := waitFor(t, key, "failing", isFailing(sourcev1.OCILayerOperationFailedReason))
		msg := cond(o, meta.ReadyCondition).Message
		t.Logf("%s (layer of %d bytes): %s", name, len(data), msg)
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: message %q: want %q", name, msg, c.want)
		}
		if o.Status.Artifact == nil || o.Status.Artifact.Revision != "latest@"+good[name] {
			t.Errorf("%s: artifact %+v: want the good one kept", name, o.Status.Artifact)
		}
		testenv.FetchArtifact(t, o.Status.Artifact)
	}
	for _, dir := range []string{tmp, filepath.Dir(env.Storage.Root())} {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && strings.Contains(d.Name(), marker) {
				t.Errorf("%s was written", p)
			}
			return nil
		})
	}
}
