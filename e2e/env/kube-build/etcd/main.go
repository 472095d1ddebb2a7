// etcd's own main package lives in the module root of go.etcd.io/etcd/server/v3
// and cannot be required as a package; this is the same one-liner.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
