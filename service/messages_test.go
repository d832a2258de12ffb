package service

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"
)

// TestMessageCodesListed: MessageCodes (openapi.yaml's MessageCode and the console's catalogue
// are checked against it) lists every MessageCode constant of the package, once.
func TestMessageCodesListed(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "messages.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || vs.Type == nil {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "MessageCode" {
			return true
		}
		for _, v := range vs.Values {
			if lit, ok := v.(*ast.BasicLit); ok {
				s, _ := strconv.Unquote(lit.Value)
				declared = append(declared, s)
			}
		}
		return true
	})
	var listed []string
	for _, c := range MessageCodes() {
		listed = append(listed, string(c))
	}
	if n := len(slices.Compact(slices.Sorted(slices.Values(listed)))); n != len(listed) {
		t.Fatalf("MessageCodes lists a code twice (%d distinct of %d)", n, len(listed))
	}
	slices.Sort(declared)
	slices.Sort(listed)
	if !slices.Equal(declared, listed) {
		t.Fatalf("MessageCode constants %v\nMessageCodes() %v", declared, listed)
	}
}

// TestEveryErrorKindHasACode: a sync's error is said by its kind's code.
func TestEveryErrorKindHasACode(t *testing.T) {
	seen := map[MessageCode]ErrorKind{}
	for _, k := range ErrorKinds() {
		c, ok := syncErrorCodes[k]
		if !ok {
			t.Errorf("error kind %s has no message code", k)
			continue
		}
		if other, dup := seen[c]; dup {
			t.Errorf("kinds %s and %s share the code %s", k, other, c)
		}
		seen[c] = k
		if c != MessageCode("sync_error."+string(k)) {
			t.Errorf("kind %s has the code %s", k, c)
		}
	}
	if ErrorKind("from-a-newer-release").Code() != MsgSyncOther {
		t.Error("an unknown kind is not said as sync_error.other")
	}
}

// TestMsgParams: parameters are name, value pairs; stored as a JSON object and read back.
func TestMsgParams(t *testing.T) {
	m := Msg(MsgFieldTooLong, "at most 5 characters (7 given)", "max", "5", "given", "7")
	if m.Params["max"] != "5" || m.Params["given"] != "7" || m.Text == "" {
		t.Fatalf("%+v", m)
	}
	if got := decodeParams(encodeParams(m.Params)); got["max"] != "5" || len(got) != 2 {
		t.Fatalf("read back %v", got)
	}
	if encodeParams(nil) != "" || decodeParams("") != nil || Msg(MsgFieldUTF8, "x").Params != nil {
		t.Fatal("no parameters are not stored as none")
	}
}
