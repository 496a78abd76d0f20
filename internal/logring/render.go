package logring

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/go-logr/logr"
)

// appendValues writes the key-value pairs kvs as key=value separated by
// spaces, stopping once b holds limit bytes. As zapr does, it stops at a
// key that is not a string and drops a key without a value.
func appendValues(b *strings.Builder, kvs []any, limit int) {
	for i := 0; i+1 < len(kvs) && b.Len() < limit; i += 2 {
		k, ok := kvs[i].(string)
		if !ok {
			return
		}
		appendPair(b, k, kvs[i+1])
	}
}

// appendPair writes key=value, after a space unless b is empty.
func appendPair(b *strings.Builder, key string, v any) {
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString(key)
	b.WriteByte('=')
	appendValue(b, v)
}

// appendValue writes v as the wrapped zap logger would: a logr.Marshaler
// by what MarshalLog returns (zapr calls it first), then by zap.Any's
// order: plain values as themselves, an error by Error, a fmt.Stringer by
// String, anything else as JSON, which leaves out the fields a zap line
// leaves out.
func appendValue(b *strings.Builder, v any) {
	if m, ok := v.(logr.Marshaler); ok {
		v = marshalLog(m)
	}
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		appendString(b, v)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	case int32:
		b.WriteString(strconv.FormatInt(int64(v), 10))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case uint:
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	case uint32:
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	case uint64:
		b.WriteString(strconv.FormatUint(v, 10))
	case float64:
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	case float32:
		b.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
	case time.Duration:
		b.WriteString(v.String())
	case time.Time:
		b.WriteString(v.UTC().Format(time.RFC3339Nano))
	case []byte:
		// zap writes bytes base64-encoded; their size says as much here.
		fmt.Fprintf(b, "[%d bytes]", len(v))
	case error:
		appendString(b, safeString(v.Error))
	case fmt.Stringer:
		appendString(b, safeString(v.String))
	default:
		// A named string type (types.UID, say) is a string.
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
			appendString(b, rv.String())
			return
		}
		data, err := json.Marshal(v)
		if err != nil {
			appendString(b, "<cannot encode: "+err.Error()+">")
			return
		}
		b.WriteString(cut(string(data), MaxLineBytes))
	}
}

// appendString writes s, cut to MaxLineBytes, quoted when it is empty or
// holds a space, '=', '"' or a character that is not printable.
func appendString(b *strings.Builder, s string) {
	s = cut(s, MaxLineBytes)
	if s != "" && strings.IndexFunc(s, needsQuote) < 0 {
		b.WriteString(s)
		return
	}
	b.WriteString(strconv.Quote(s))
}

func needsQuote(r rune) bool {
	return r == '=' || r == '"' || unicode.IsSpace(r) || !unicode.IsPrint(r)
}

// marshalLog calls MarshalLog, which zapr guards against a panic (a nil
// pointer receiver, say) the same way.
func marshalLog(m logr.Marshaler) (v any) {
	defer func() {
		if r := recover(); r != nil {
			v = fmt.Sprintf("<PANIC=%v>", r)
		}
	}()
	return m.MarshalLog()
}

// safeString calls f, turning a panic into text as zap does.
func safeString(f func() string) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("<PANIC=%v>", r)
		}
	}()
	return f()
}
