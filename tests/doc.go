// Package tests holds husk's end-to-end tests: they build the real
// binaries and run real containers from the public images in
// ../shared/images (HUSK_TEST_IMAGES overrides the path) as root.
//
// Every test skips with the reason when root, the images or a kernel
// feature is missing; CI provides all of them.
package tests
