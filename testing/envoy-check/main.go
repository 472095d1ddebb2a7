// Command envoy-check validates an Envoy v3 bootstrap offline, where the
// envoy binary cannot be had: it reads YAML (a file argument or stdin) and
// prints "ok" (exit 0) or one "path: problem" line per violation (exit 1).
// Exit 2 means it could not read its input.
//
// What it checks (see check.go): every typed_config resolves to a type that
// Envoy knows; the protoc-gen-validate rules of every message, including
// those packed in Any; and the cross-references Envoy checks at load time
// (see refs.go).
package main

//go:generate sh gen-imports.sh

import (
	"fmt"
	"io"
	"os"
)

func main() {
	var (
		input []byte
		err   error
	)
	switch {
	case len(os.Args) > 2:
		fmt.Fprintln(os.Stderr, "usage: envoy-check [bootstrap.yaml]  (stdin when omitted or -)")
		os.Exit(2)
	case len(os.Args) == 2 && os.Args[1] != "-":
		input, err = os.ReadFile(os.Args[1])
	default:
		input, err = io.ReadAll(os.Stdin)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "envoy-check:", err)
		os.Exit(2)
	}
	violations := Check(input)
	if len(violations) == 0 {
		fmt.Println("ok")
		return
	}
	for _, v := range violations {
		fmt.Println(v)
	}
	os.Exit(1)
}
