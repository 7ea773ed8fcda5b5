// Wrapper main for the Pulumi Kubernetes provider (upstream module
// github.com/pulumi/pulumi-kubernetes/provider/v4). lab/toolchain.sh copies this
// file into a build directory next to schema-embed.json and
// terraform-mapping-embed.json, which it generates there from the module
// cache; those generated files are never kept in the repository.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
