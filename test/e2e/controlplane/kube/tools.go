//go:build tools

// Package tools records the Kubernetes commands that ../build.sh builds, so that
// `go mod tidy` keeps every module they need in go.mod and go.sum. The file is
// never compiled (build tag "tools").
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
