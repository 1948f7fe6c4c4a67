// Package image is husk's content-addressed image store.
//
// A Store lives in one root directory:
//
//	root/lock                       flock(2) guarding every mutation
//	root/blobs/sha256/<hex>         manifests, configs and compressed layers
//	root/layers/sha256/<diffid-hex> one unpacked layer, used as an overlay lowerdir
//	root/images/<id-hex>.json       one record per image (id = config digest)
//	root/repositories.json          "name:tag" -> image id
//	root/tmp/                       staging area, emptied under the exclusive lock
//
// Import reads an OCI image layout directory, an OCI archive (a tar of a
// layout) or a `docker save` archive, optionally gzip- or zstd-compressed. It
// verifies the digest and size of every blob it reads, even one the store
// already holds, and the diff_id of every layer it unpacks. Each entry only
// appears under blobs/ or layers/ by a rename after it was verified, so the
// store never holds a half-written entry. Layers are shared between images
// and unpacked once. zstd streams are decoded by the husk-zstd helper
// (cmd/husk-zstd), which keeps the decoder out of every husk process.
//
// Unpacking (see Unpack) resolves every path with openat2(2) and
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, so a malicious layer cannot write outside
// its directory, and converts OCI whiteouts to overlayfs whiteouts. It needs
// root (mknod, chown, trusted.* xattrs) and Linux 5.6 or newer (openat2).
//
// The package does not mount anything: RootfsMount describes the overlay
// mount as plain data and the rootfs package performs it. It does not pull
// from registries either; images come in as files.
//
// Removing an image deletes the layers no other image uses. An image with
// several names is removed by name one at a time, or by ID with force. The
// store does not know about containers: callers must not remove an image
// whose layers are still mounted.
package image
