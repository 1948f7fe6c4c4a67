// Package namespaces maps the namespaces of an OCI spec to the clone(2)
// flags that create them, and gives the set husk uses by default.
//
// It only decides; creating the namespaces is the job of the runtime
// package, which passes the flags to the clone that starts a container's
// init. Joining an existing namespace by path needs setns(2) before the Go
// runtime starts threads (mount namespaces refuse a multithreaded caller),
// so a spec that asks for it is refused here with an error naming the
// namespace until the runtime has that path.
package namespaces
