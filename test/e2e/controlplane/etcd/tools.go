//go:build tools

// Package tools records the etcd command that ../build.sh builds, so that
// `go mod tidy` keeps every module it needs in go.mod and go.sum. The file is
// never compiled (build tag "tools"). The etcd main package is the root package
// of the go.etcd.io/etcd/server/v3 module.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
