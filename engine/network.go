package engine

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"husk/network"
	"husk/runtime"
)

// Network modes of `husk run --network`, besides user network names.
const (
	NetworkBridge = network.DefaultNetwork
	NetworkNone   = network.NoNetwork
	NetworkHost   = "host"
	containerMode = "container:"
)

// netPlan is how one container is networked: decided before the spec is
// made, carried out once the init exists.
type netPlan struct {
	mode  string // bridge, none, a user network, host, or container:NAME
	ports []network.PortMapping
}

// planNetwork checks --network and -p and changes the spec for the mode:
// the generated /etc files are bind-mounted, host mode drops the network
// namespace, container:NAME joins that container's.
func (e *Engine) planNetwork(c *Container, o RunOptions, spec *specs.Spec) (*netPlan, error) {
	plan := &netPlan{mode: o.Network}
	if plan.mode == "" {
		plan.mode = NetworkBridge
	}
	for _, p := range o.Ports {
		m, err := network.ParsePortMapping(p)
		if err != nil {
			return nil, fmt.Errorf("-p %q: %w", p, err)
		}
		plan.ports = append(plan.ports, m)
	}
	if len(plan.ports) > 0 && (plan.mode == NetworkNone || plan.mode == NetworkHost ||
		strings.HasPrefix(plan.mode, containerMode)) {
		return nil, fmt.Errorf("-p: ports cannot be published with --network %s", plan.mode)
	}

	switch {
	case plan.mode == NetworkHost:
		dropNamespace(spec, specs.NetworkNamespace)
		bindEtc(spec, network.Files{Hosts: "/etc/hosts", ResolvConf: "/etc/resolv.conf"})
		return plan, nil
	case strings.HasPrefix(plan.mode, containerMode):
		return plan, e.joinNetworkOf(strings.TrimPrefix(plan.mode, containerMode), spec)
	case plan.mode == NetworkNone:
		// The files live and go with the container's own directory.
		files, err := e.net.WriteFiles(e.containerDir(c.ID),
			network.Container{ID: c.ID, Name: c.Name, Hostname: spec.Hostname})
		if err != nil {
			return nil, err
		}
		bindEtc(spec, files)
		return plan, nil
	}

	files, err := e.net.Prepare(network.Container{ID: c.ID, Name: c.Name, Hostname: spec.Hostname})
	if err != nil {
		return nil, err
	}
	bindEtc(spec, files)
	return plan, nil
}

// joinNetworkOf makes the container share the network namespace and the
// /etc files of a running container.
func (e *Engine) joinNetworkOf(ref string, spec *specs.Spec) error {
	other, err := e.Lookup(ref)
	if err != nil {
		return fmt.Errorf("--network container:%s: %w", ref, err)
	}
	if other.Status != "running" {
		return fmt.Errorf("--network container:%s: it is %s", ref, other.Status)
	}
	for i, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			spec.Linux.Namespaces[i].Path = "/proc/" + strconv.Itoa(other.Pid) + "/ns/net"
		}
	}
	if att, err := e.net.Get(other.ID); err == nil {
		bindEtc(spec, att.Files)
	} else if files := network.FilesIn(e.containerDir(other.ID)); fileExists(files.Hosts) {
		bindEtc(spec, files) // a --network none container keeps its files in its own dir
	}
	return nil
}

// attach connects a created container (its init held before the user
// process) to its network.
func (e *Engine) attach(c *Container, plan *netPlan, ctr *runtime.Process, hostname string) error {
	// Without a network, Prepare's lease and files are all there is to it.
	if plan.mode == NetworkHost || plan.mode == NetworkNone || strings.HasPrefix(plan.mode, containerMode) {
		return nil
	}
	_, err := e.net.Attach(context.Background(), network.AttachOptions{
		Container: network.Container{ID: c.ID, Name: c.Name, Hostname: hostname},
		Network:   plan.mode, Pid: ctr.Pid, Ports: plan.ports,
	})
	return err
}

// etcFiles are the files bindEtc mounts over, in the order of its sources.
var etcFiles = []string{"/etc/hosts", "/etc/resolv.conf", "/etc/hostname"}

// bindEtc bind-mounts the generated files over the image's.
func bindEtc(spec *specs.Spec, f network.Files) {
	for i, src := range []string{f.Hosts, f.ResolvConf, f.Hostname} {
		if src == "" {
			continue
		}
		spec.Mounts = append(spec.Mounts, specs.Mount{Destination: etcFiles[i], Type: "bind", Source: src,
			Options: []string{"rbind", "rprivate"}})
	}
}

func dropNamespace(spec *specs.Spec, t specs.LinuxNamespaceType) {
	var kept []specs.LinuxNamespace
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type != t {
			kept = append(kept, ns)
		}
	}
	spec.Linux.Namespaces = kept
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Networks gives the CLI the network manager.
func (e *Engine) Networks() *network.Manager { return e.net }
