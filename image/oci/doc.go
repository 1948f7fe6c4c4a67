// Package oci holds the documents of the OCI image format (image-spec
// 1.1) that husk reads and writes: descriptors, indexes, manifests, image
// configs and the layout file, and the digests that address them.
//
// husk keeps its own definitions instead of importing image-spec's
// specs-go/v1, because that package imports go-digest, whose package
// initialisation compiles five regular expressions: 0.2 ms of every husk
// process on the machines husk is measured on, a container's start
// included, where a digest is checked by a few string tests. The types
// follow image-spec field for field and encode to the same JSON, which
// the tests check against image-spec itself on real images.
package oci
