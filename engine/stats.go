package engine

import (
	"fmt"
	"time"

	"husk/cgroups"
)

// Update changes the limits of a running container.
func (e *Engine) Update(ref string, o ResourceOptions) error {
	if len(o.Devices) > 0 {
		return fmt.Errorf("update: --device cannot change on a running container")
	}
	c, err := e.Lookup(ref)
	if err != nil {
		return err
	}
	if c.Status != "running" {
		return fmt.Errorf("container %q is %s: update needs a running container", c.Name, c.Status)
	}
	res, err := o.Resources()
	if err != nil {
		return err
	}
	if res == nil {
		return fmt.Errorf("update: no limit given")
	}
	cg, _, err := e.runtime.Cgroup(c.ID)
	if err != nil {
		return err
	}
	return cg.Apply(res)
}

// Usage is one container's resource use, as `husk stats` shows it.
type Usage struct {
	Container  *Container
	CPUPercent float64 // of one CPU, over the sampling interval
	Stats      *cgroups.Stats
}

// Stats samples the usage of running containers twice, interval apart,
// so the CPU figure is a rate and not a total.
func (e *Engine) Stats(refs []string, interval time.Duration) ([]Usage, error) {
	ctrs, err := e.statsTargets(refs)
	if err != nil {
		return nil, err
	}
	first := make([]uint64, len(ctrs))
	for i, c := range ctrs {
		if s, err := e.containerStats(c.ID); err == nil {
			first[i] = s.CPU.UsageNS
		}
	}
	start := time.Now()
	time.Sleep(interval)
	elapsed := time.Since(start)

	var out []Usage
	for i, c := range ctrs {
		s, err := e.containerStats(c.ID)
		if err != nil && len(refs) > 0 {
			return nil, fmt.Errorf("container %q stopped during the sample", c.Name)
		}
		if err != nil {
			continue // it stopped meanwhile; it was not asked for by name
		}
		pct := float64(s.CPU.UsageNS-first[i]) / float64(elapsed.Nanoseconds()) * 100
		out = append(out, Usage{Container: c, CPUPercent: pct, Stats: s})
	}
	return out, nil
}

func (e *Engine) statsTargets(refs []string) ([]*Container, error) {
	if len(refs) == 0 {
		all, err := e.List()
		if err != nil {
			return nil, err
		}
		var running []*Container
		for _, c := range all {
			if c.Status == "running" {
				running = append(running, c)
			}
		}
		return running, nil
	}
	var out []*Container
	for _, ref := range refs {
		c, err := e.Lookup(ref)
		if err != nil {
			return nil, err
		}
		if c.Status != "running" {
			return nil, fmt.Errorf("container %q is %s", c.Name, c.Status)
		}
		out = append(out, c)
	}
	return out, nil
}

func (e *Engine) containerStats(id string) (*cgroups.Stats, error) {
	cg, _, err := e.runtime.Cgroup(id)
	if err != nil {
		return nil, err
	}
	return cg.Stats()
}

// oomKilled reports whether the kernel's OOM killer killed a process of
// the container; it must be asked before the cgroup is removed.
func (e *Engine) oomKilled(id string) bool {
	cg, _, err := e.runtime.Cgroup(id)
	if err != nil {
		return false
	}
	n, err := cg.OOMKills()
	return err == nil && n > 0
}

// Info describes the host as husk sees it.
type Info struct {
	Root         string
	CgroupLayout string
	Images       int
	Containers   int
	Running      int
}

// Info reports the store and the cgroup layout husk works with.
func (e *Engine) Info() (*Info, error) {
	layout, err := cgroups.Detect()
	if err != nil {
		return nil, err
	}
	imgs, err := e.Images.List()
	if err != nil {
		return nil, err
	}
	all, err := e.List()
	if err != nil {
		return nil, err
	}
	info := &Info{Root: e.root, CgroupLayout: layout.String(), Images: len(imgs), Containers: len(all)}
	for _, c := range all {
		if c.Status == "running" {
			info.Running++
		}
	}
	return info, nil
}
