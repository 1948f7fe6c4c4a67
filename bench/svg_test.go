package bench

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
)

// svgBars parses an SVG and returns the class of every rect that is a
// bar, failing the test when the document is not well-formed XML.
func svgBars(t *testing.T, doc []byte) (bars []string, titles []string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	inTitle := false
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = el.Name.Local
				if el.Name.Space != "http://www.w3.org/2000/svg" {
					t.Errorf("root element in namespace %q", el.Name.Space)
				}
			}
			inTitle = el.Name.Local == "title"
			if el.Name.Local != "rect" {
				continue
			}
			for _, a := range el.Attr {
				if a.Name.Local == "class" && strings.HasPrefix(a.Value, "bar ") {
					bars = append(bars, strings.TrimPrefix(a.Value, "bar "))
				}
			}
		case xml.CharData:
			if inTitle {
				titles = append(titles, string(el))
			}
		case xml.EndElement:
			inTitle = false
		}
	}
	if root != "svg" {
		t.Errorf("root element %q, want svg", root)
	}
	return bars, titles
}

func TestSVGOneBarPerContender(t *testing.T) {
	r := sampleReport()
	var b bytes.Buffer
	if err := r.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	bars, titles := svgBars(t, b.Bytes())
	count := map[string]int{}
	for _, c := range bars {
		count[c]++
	}
	if count["startup"] != len(r.Startup) {
		t.Errorf("%d start-up bars, want one per contender (%d)", count["startup"], len(r.Startup))
	}
	if count["memory"] != len(r.Memory) {
		t.Errorf("%d memory bars, want %d", count["memory"], len(r.Memory))
	}
	for _, s := range r.Startup {
		found := false
		for _, title := range titles {
			found = found || strings.HasPrefix(title, s.Name)
		}
		if !found {
			t.Errorf("no bar titled %q", s.Name)
		}
	}
}

// TestSVGLogScale checks that bar lengths follow log10 of the values: the
// VM at 1.9 s and the floor at 4 ms differ by a factor of 475, which a
// linear axis would draw as an invisible floor bar.
func TestSVGLogScale(t *testing.T) {
	r := sampleReport()
	var b bytes.Buffer
	r.WriteSVG(&b)
	var widths []float64
	d := xml.NewDecoder(&b)
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		el, ok := tok.(xml.StartElement)
		if !ok || el.Name.Local != "rect" {
			continue
		}
		var class, width string
		for _, a := range el.Attr {
			switch a.Name.Local {
			case "class":
				class = a.Value
			case "width":
				width = a.Value
			}
		}
		if class == "bar startup" {
			var w float64
			if _, err := fmt.Sscan(width, &w); err != nil {
				t.Fatal(err)
			}
			widths = append(widths, w)
		}
	}
	// Order follows r.Startup: husk 12, huskrt 17, runc 22, floor 4, vm 1900 ms.
	if len(widths) != 5 {
		t.Fatalf("%d start-up bars, want 5", len(widths))
	}
	husk, floor, vm := widths[0], widths[3], widths[4]
	if !(floor < husk && husk < vm) {
		t.Fatalf("bar widths not ordered by value: floor %v, husk %v, vm %v", floor, husk, vm)
	}
	if floor < 1 {
		t.Errorf("the floor's bar is invisible: %v", floor)
	}
	// On a log axis, equal ratios give equal length differences:
	// log(1900/12) / log(12/4) = 4.61.
	got := (vm - husk) / (husk - floor)
	if got < 4.4 || got > 4.8 {
		t.Errorf("length ratio %v, want about 4.61 on a log axis", got)
	}
}

func TestSVGEscapesNames(t *testing.T) {
	r := &Report{Runs: 1, Startup: []StartupResult{{Name: `a<b & "c"`, Runs: 1, P50Ms: 3}}}
	var b bytes.Buffer
	r.WriteSVG(&b)
	bars, _ := svgBars(t, b.Bytes())
	if len(bars) != 1 {
		t.Errorf("%d bars, want 1", len(bars))
	}
}

func TestSVGWithoutNumbers(t *testing.T) {
	var b bytes.Buffer
	(&Report{}).WriteSVG(&b)
	bars, _ := svgBars(t, b.Bytes())
	if len(bars) != 0 {
		t.Errorf("%d bars for an empty report", len(bars))
	}
}
