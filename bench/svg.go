package bench

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
)

// Chart geometry, in SVG user units.
const (
	svgWidth   = 760
	labelWidth = 210 // contender names, right-aligned before the plot
	plotLeft   = labelWidth + 10
	plotRight  = svgWidth - 90 // room for the value after the longest bar
	rowHeight  = 26
	barHeight  = 16
)

// bar is one row of a chart.
type bar struct {
	label string
	value float64 // in the chart's unit; > 0
	text  string  // printed after the bar
}

// WriteSVG draws the report as a self-contained SVG image: a bar per
// contender of its p50 start-up time, and a bar per contender of its PSS
// per idle instance, both on log scales because a VM sits orders of
// magnitude from a container.
func (r *Report) WriteSVG(w io.Writer) error {
	var startup, memory []bar
	for _, s := range r.Startup {
		if s.Runs == 0 || s.P50Ms <= 0 {
			continue
		}
		text := fmtMs(s.P50Ms)
		if s.VsRunc > 0 {
			text += fmt.Sprintf(" (%sx runc)", ratio(s.VsRunc))
		}
		label := s.Name
		if s.Name == NameVM && r.VM != nil {
			label += " (" + strings.ToUpper(r.VM.Accel) + ")"
		}
		startup = append(startup, bar{label: label, value: s.P50Ms, text: text})
	}
	for _, m := range r.Memory {
		if m.PSSKiBPerInstance <= 0 {
			continue
		}
		memory = append(memory, bar{label: m.Name, value: mib(m.PSSKiBPerInstance),
			text: fmt.Sprintf("%.2f MiB", mib(m.PSSKiBPerInstance))})
	}

	var b bytes.Buffer
	y := 0
	body := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	y = chart(body, y, "startup", fmt.Sprintf("Start-up of /bin/true, p50 of %d interleaved rounds (log scale)", r.Runs),
		startup, func(v float64) string {
			if v >= 1000 {
				return fmt.Sprintf("%g s", v/1000)
			}
			return fmt.Sprintf("%g ms", v)
		})
	if len(memory) > 0 {
		y = chart(body, y+10, "memory", "Memory per idle instance, PSS (log scale)",
			memory, func(v float64) string { return fmt.Sprintf("%g MiB", v) })
	}
	height := y + 10

	if _, err := fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">
<rect width="100%%" height="100%%" fill="white"/>
`, svgWidth, height, svgWidth, height); err != nil {
		return err
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return err
	}
	_, err := io.WriteString(w, "</svg>\n")
	return err
}

// chart draws one titled bar chart with its top at y, bars on a log10
// axis, and returns the y below it.
func chart(out func(string, ...any), y int, class, title string, bars []bar, tick func(float64) string) int {
	y += 24
	out(`<text class="title" x="10" y="%d" font-size="14" font-weight="bold">%s</text>`, y, esc(title))
	if len(bars) == 0 {
		y += 20
		out(`<text x="10" y="%d">no contender produced numbers</text>`, y)
		return y
	}
	lo, hi := bars[0].value, bars[0].value
	for _, b := range bars {
		lo, hi = math.Min(lo, b.value), math.Max(hi, b.value)
	}
	// The axis spans whole decades around the values, so each grid line
	// is a power of ten.
	dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dhi <= dlo {
		dhi = dlo + 1
	}
	x := func(v float64) float64 {
		return plotLeft + (math.Log10(v)-dlo)/(dhi-dlo)*(plotRight-plotLeft)
	}
	top := y + 10
	bottom := top + len(bars)*rowHeight
	for d := dlo; d <= dhi; d++ {
		v := math.Pow(10, d)
		gx := x(v)
		out(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ccc"/>`, gx, top, gx, bottom)
		out(`<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`, gx, bottom+14, esc(tick(v)))
	}
	for i, b := range bars {
		by := top + i*rowHeight + (rowHeight-barHeight)/2
		// A value below the axis's first decade cannot occur (the axis
		// starts at the smallest value's decade), so every bar has a
		// length of at least zero; give it one unit to stay visible.
		w := math.Max(1, x(b.value)-plotLeft)
		out(`<text x="%d" y="%d" text-anchor="end">%s</text>`, labelWidth, by+barHeight-3, esc(b.label))
		out(`<rect class="bar %s" x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s</title></rect>`,
			class, plotLeft, by, w, barHeight, color(b.label), esc(b.label), esc(b.text))
		out(`<text x="%.1f" y="%d">%s</text>`, float64(plotLeft)+w+5, by+barHeight-3, esc(b.text))
	}
	return bottom + 20
}

// color picks a bar's colour: husk's own contenders in one, the VM in
// another, the rest in grey.
func color(name string) string {
	switch {
	case strings.HasPrefix(name, NameVM):
		return "#c0392b"
	case strings.HasPrefix(name, "husk"):
		return "#2e86c1"
	case name == NameFloor:
		return "#7f8c8d"
	}
	return "#95a5a6"
}

func fmtMs(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.2f s", v/1000)
	case v >= 10:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 1:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

func esc(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
