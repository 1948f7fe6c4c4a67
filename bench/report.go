package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what one benchmark run found. Its JSON form is what
// `husk bench --json` prints; times are in milliseconds and memory and
// disk in KiB and bytes, as the field names say.
type Report struct {
	// Tag is in the id of every container the run made
	// (husk-bench-TAG-...), so anything it left is recognizable.
	Tag     string          `json:"tag"`
	Host    Host            `json:"host"`
	Runs    int             `json:"runs"`
	Startup []StartupResult `json:"startup"`
	Memory  []MemoryResult  `json:"memory"`
	Disk    *Disk           `json:"disk,omitempty"`
	VM      *VMInfo         `json:"vm,omitempty"`
	Skipped []Skip          `json:"skipped"`
	// Leftovers lists what the benchmark failed to remove: containers'
	// state or cgroups, processes. Empty when it cleaned up.
	Leftovers []string `json:"leftovers"`
}

// Host describes the machine the numbers come from.
type Host struct {
	Kernel     string `json:"kernel"`
	CPUs       int    `json:"cpus"`
	CgroupMode string `json:"cgroup_mode"` // v1, hybrid or v2
	Started    string `json:"started"`     // RFC 3339
}

// StartupResult is one contender's start-up times, from the command being
// issued to its process's exit, for /bin/true in busybox.
type StartupResult struct {
	Name     string  `json:"name"`
	Command  string  `json:"command"`
	Runs     int     `json:"runs"`
	Failures int     `json:"failures"`
	MinMs    float64 `json:"min_ms"`
	MeanMs   float64 `json:"mean_ms"`
	P50Ms    float64 `json:"p50_ms"`
	P90Ms    float64 `json:"p90_ms"`
	P99Ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	// VsRunc and VsFloor are p50 over runc's p50 and over the unshare
	// floor's p50 measured in the same run; 0 when that one did not run.
	VsRunc  float64 `json:"vs_runc"`
	VsFloor float64 `json:"vs_floor"`
	// Error is the first failure, when some runs failed.
	Error string `json:"error,omitempty"`

	summary Summary
}

// MemoryResult is the memory that idle instances of one contender use.
type MemoryResult struct {
	Name      string `json:"name"`
	Instances int    `json:"instances"`
	// HostKiBPerInstance is the drop of MemAvailable (/proc/meminfo)
	// while the instances idle, against the mean of before they started
	// and after they stopped, divided by their number: everything they
	// cost the host, page cache and kernel objects included, and
	// whatever else the machine did meanwhile that did not cancel out.
	HostKiBPerInstance int64 `json:"host_kib_per_instance"`
	// PSSKiBPerInstance is the proportional set size of the instances'
	// processes (smaps_rollup), runtime helpers included, divided by
	// their number: shared pages count once over all who map them.
	PSSKiBPerInstance int64 `json:"pss_kib_per_instance"`
	// Processes is how many processes each instance has on the host.
	Processes int `json:"processes_per_instance"`
}

// Disk compares what each needs on disk before it can start.
type Disk struct {
	// ImageBytes is the space the image's unpacked layers take.
	ImageBytes     int64 `json:"image_bytes"`
	KernelBytes    int64 `json:"vm_kernel_bytes,omitempty"`
	InitramfsBytes int64 `json:"vm_initramfs_bytes,omitempty"`
}

// VMInfo describes the guests of the VM contender.
type VMInfo struct {
	Accel    string `json:"accel"` // kvm or tcg
	Kernel   string `json:"kernel"`
	MemoryMB int    `json:"memory_mb"`
	CPUs     int    `json:"cpus"`
	// KVMNote says why KVM was not used, when it was not.
	KVMNote string `json:"kvm_note,omitempty"`
}

// Skip is a contender or a test that did not run, and why.
type Skip struct {
	Name   string `json:"name"`
	Test   string `json:"test"` // startup, memory, disk or all
	Reason string `json:"reason"`
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// fillStartup sets a result's times from its samples and the ratios to
// runc and to the floor.
func fillStartup(results []StartupResult, samples map[string][]time.Duration) {
	for i := range results {
		r := &results[i]
		s := Summarize(samples[r.Name])
		r.summary = s
		r.Runs = s.N
		r.MinMs, r.MeanMs, r.MaxMs = ms(s.Min), ms(s.Mean), ms(s.Max)
		r.P50Ms, r.P90Ms, r.P99Ms = ms(s.P50), ms(s.P90), ms(s.P99)
	}
	var runc, floor time.Duration
	for _, r := range results {
		switch r.Name {
		case NameRunc:
			runc = r.summary.P50
		case NameFloor:
			floor = r.summary.P50
		}
	}
	for i := range results {
		results[i].VsRunc = round2(Ratio(results[i].summary.P50, runc))
		results[i].VsFloor = round2(Ratio(results[i].summary.P50, floor))
	}
}

func round2(f float64) float64 {
	return float64(int64(f*100+0.5)) / 100
}

// WriteText writes the report as tables for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "host: Linux %s, %d CPUs, cgroup %s\n", r.Host.Kernel, r.Host.CPUs, r.Host.CgroupMode)
	if r.VM != nil {
		fmt.Fprintf(w, "vm: qemu microvm, %s, kernel %s, %d MiB, %d CPU", strings.ToUpper(r.VM.Accel), r.VM.Kernel, r.VM.MemoryMB, r.VM.CPUs)
		if r.VM.KVMNote != "" {
			fmt.Fprintf(w, " (%s)", r.VM.KVMNote)
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "\nstart-up of /bin/true, command issued to exit (%d rounds, interleaved)\n", r.Runs)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "contender\truns\tp50 ms\tp90 ms\tp99 ms\tx runc\tx floor\t")
	for _, s := range r.Startup {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%s\t%s\t\n", s.Name, s.Runs, s.P50Ms, s.P90Ms, s.P99Ms, ratio(s.VsRunc), ratio(s.VsFloor))
	}
	tw.Flush()
	for _, s := range r.Startup {
		if s.Failures > 0 {
			fmt.Fprintf(w, "  %s: %d runs failed: %s\n", s.Name, s.Failures, s.Error)
		}
	}

	if len(r.Memory) > 0 {
		fmt.Fprintln(w, "\nmemory per idle instance (sleep 3600 / an idle guest)")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "contender\tinstances\tprocs each\thost MiB\tPSS MiB\t")
		for _, m := range r.Memory {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.2f\t\n", m.Name, m.Instances, m.Processes, mib(m.HostKiBPerInstance), mib(m.PSSKiBPerInstance))
		}
		tw.Flush()
		fmt.Fprintln(w, "  host: drop of MemAvailable while they idle (vs. before and after), which the rest of the machine moves too")
		fmt.Fprintln(w, "  PSS: the instances' processes (runtime helpers, qemu) with shared pages split among their users")
	}

	if d := r.Disk; d != nil {
		fmt.Fprintln(w, "\ndisk")
		fmt.Fprintf(w, "  image (unpacked layers)  %8.2f MiB\n", float64(d.ImageBytes)/(1<<20))
		if d.KernelBytes > 0 {
			fmt.Fprintf(w, "  vm kernel + initramfs    %8.2f MiB (%.2f + %.2f)\n",
				float64(d.KernelBytes+d.InitramfsBytes)/(1<<20), float64(d.KernelBytes)/(1<<20), float64(d.InitramfsBytes)/(1<<20))
		}
	}

	if len(r.Skipped) > 0 {
		fmt.Fprintln(w, "\nskipped")
		for _, s := range r.Skipped {
			fmt.Fprintf(w, "  %s (%s): %s\n", s.Name, s.Test, s.Reason)
		}
	}
	if len(r.Leftovers) > 0 {
		fmt.Fprintln(w, "\nLEFT BEHIND")
		for _, l := range r.Leftovers {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	return nil
}

func ratio(f float64) string {
	if f == 0 {
		return "-"
	}
	if f >= 10 {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.2f", f)
}

func mib(kib int64) float64 { return float64(kib) / 1024 }
