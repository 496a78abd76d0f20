package ui

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"strings"
	"testing"
)

func TestCleanFilePath(t *testing.T) {
	tests := map[string]struct {
		in, want string
		invalid  bool
	}{
		"root":           {in: "", want: ""},
		"root slash":     {in: "/", want: ""},
		"file":           {in: "deploy/app.yaml", want: "deploy/app.yaml"},
		"directory":      {in: "deploy/", want: "deploy"},
		"dot dot":        {in: "../etc/passwd", invalid: true},
		"inner dot dot":  {in: "deploy/../../x", invalid: true},
		"dot":            {in: "./deploy", invalid: true},
		"absolute":       {in: "/etc/passwd", invalid: true},
		"empty segment":  {in: "deploy//app.yaml", invalid: true},
		"NUL":            {in: "a\x00b", invalid: true},
		"backslash":      {in: `..\x`, invalid: true},
		"dots in a name": {in: "a..b/..c", want: "a..b/..c"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := cleanFilePath(tt.in)
			if tt.invalid != (err != nil) || got != tt.want {
				t.Errorf("cleanFilePath(%q) = %q, %v", tt.in, got, err)
			}
		})
	}
}

// FuzzCleanFilePath checks that no accepted path can leave the root.
func FuzzCleanFilePath(f *testing.F) {
	for _, s := range []string{"", "a/b", "../x", "a/../../b", "/abs", "a\x00", `a\..\b`, "a/./b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := cleanFilePath(in)
		if err != nil {
			return
		}
		if strings.HasPrefix(got, "/") || strings.ContainsAny(got, "\x00\\") {
			t.Fatalf("cleanFilePath(%q) = %q", in, got)
		}
		for _, seg := range strings.Split(got, "/") {
			if got != "" && (seg == ".." || seg == "." || seg == "") {
				t.Fatalf("cleanFilePath(%q) = %q", in, got)
			}
		}
	})
}

// tarGz is a gzip-compressed tar of entries: name → body, a name ending
// in "/" a directory, a body starting with "->" a symbolic link.
func tarGz(t *testing.T, entries [][2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		hdr := &tar.Header{Name: e[0], Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(e[1]))}
		switch {
		case strings.HasSuffix(e[0], "/"):
			hdr.Typeflag, hdr.Size = tar.TypeDir, 0
		case strings.HasPrefix(e[1], "->"):
			hdr.Typeflag, hdr.Size, hdr.Linkname = tar.TypeSymlink, 0, strings.TrimPrefix(e[1], "->")
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e[1])); err != nil {
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

func TestReadArchive(t *testing.T) {
	// No entries for the directories themselves, as some writers do.
	archive := tarGz(t, [][2]string{
		{"a/b/c.yaml", "c"}, {"a/d.txt", "dd"}, {"a/link", "->../x"}, {"top.txt", "top"}, {"../up.txt", "up"}, {"e/", ""},
	})
	names := func(es []fileEntry) string {
		var out []string
		for _, e := range es {
			out = append(out, e.Name)
		}
		return strings.Join(out, ",")
	}
	tests := map[string]struct {
		want    string
		exists  bool
		entries string
		text    string
		link    string
	}{
		"root":                {want: "", exists: true, entries: "a,e,top.txt"},
		"implied dir":         {want: "a", exists: true, entries: "b,d.txt,link"},
		"deeper":              {want: "a/b", exists: true, entries: "c.yaml"},
		"empty dir":           {want: "e", exists: true},
		"file":                {want: "a/d.txt", exists: true, text: "dd"},
		"link":                {want: "a/link", exists: true, link: "../x"},
		"missing":             {want: "a/zz"},
		"prefix is not a dir": {want: "a/b/c"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := readArchive(context.Background(), bytes.NewReader(archive), tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if got.exists != tt.exists || names(got.entries) != tt.entries || got.link != tt.link {
				t.Errorf("readArchive(%q) = exists %v, entries %q, link %q", tt.want, got.exists, names(got.entries), got.link)
			}
			if tt.text != "" && (got.file == nil || got.file.Text != tt.text) {
				t.Errorf("readArchive(%q) file = %+v", tt.want, got.file)
			}
		})
	}
}

func TestReadFileView(t *testing.T) {
	tests := map[string]struct {
		data              string
		binary, truncated bool
	}{
		"text":             {data: "hello\n"},
		"NUL":              {data: "a\x00b", binary: true},
		"invalid UTF-8":    {data: "\xff\xfe", binary: true},
		"long":             {data: strings.Repeat("x", maxFileShown+10), truncated: true},
		"a rune cut short": {data: strings.Repeat("x", maxFileShown-1) + "é", truncated: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			v, err := readFileView(strings.NewReader(tt.data), int64(len(tt.data)))
			if err != nil {
				t.Fatal(err)
			}
			if v.Binary != tt.binary || v.Truncated != tt.truncated || len(v.Text) > maxFileShown {
				t.Errorf("readFileView = binary %v, truncated %v, %d bytes of text", v.Binary, v.Truncated, len(v.Text))
			}
		})
	}
}

func TestDiffLines(t *testing.T) {
	got := diffLines("--- a (cluster)\n+++ a (after apply)\n@@ -1 +1 @@\n-x\n+y\n z")
	want := []string{"file", "file", "hunk", "del", "add", ""}
	if len(got) != len(want) {
		t.Fatalf("diffLines = %v", got)
	}
	for i, l := range got {
		if l.Class != want[i] {
			t.Errorf("line %d %q class %q, want %q", i, l.Text, l.Class, want[i])
		}
	}
}
