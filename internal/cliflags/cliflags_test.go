package cliflags

import (
	"bytes"
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// app returns an app with one command of every flag type Cache wraps,
// and a pointer to what its action saw.
func app(out *bytes.Buffer, cached bool) (*cli.App, *[]any) {
	got := &[]any{}
	cmd := &cli.Command{
		Name: "run",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "rm", Usage: "remove it"},
			&cli.StringFlag{Name: "name", Aliases: []string{"n"}, Usage: "its name"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}},
			&cli.IntFlag{Name: "cpus", Value: 1},
			&cli.Int64Flag{Name: "memory"},
			&cli.Int64SliceFlag{Name: "gid"},
			&cli.UintFlag{Name: "weight"},
			&cli.Uint64Flag{Name: "swap"},
			&cli.DurationFlag{Name: "timeout", Value: time.Second},
		},
		UseShortOptionHandling: true,
		Action: func(c *cli.Context) error {
			*got = []any{c.Bool("rm"), c.String("n"), c.StringSlice("env"), c.Int("cpus"),
				c.Int64("memory"), c.Int64Slice("gid"), c.Uint("weight"), c.Uint64("swap"),
				c.Duration("timeout"), c.IsSet("name"), c.IsSet("memory")}
			return nil
		},
	}
	a := &cli.App{Name: "husk", Writer: out, Commands: []*cli.Command{cmd},
		Flags: []cli.Flag{&cli.StringFlag{Name: "root", Value: "/var/lib/husk"}}}
	if cached {
		Cache(a.Commands, a.Flags)
	}
	return a, got
}

func TestCachedFlagsParseAsBefore(t *testing.T) {
	args := []string{"husk", "--root", "/r", "run", "--rm", "-n", "web", "-e", "A=1", "-e", "B",
		"--cpus", "2", "--gid", "5", "--weight", "7", "--swap", "9", "--timeout", "2s", "busybox"}
	var results [2][]any
	for i, cached := range []bool{false, true} {
		a, got := app(&bytes.Buffer{}, cached)
		if err := a.Run(args); err != nil {
			t.Fatalf("cached=%v: %v", cached, err)
		}
		results[i] = *got
	}
	want := []any{true, "web", []string{"A=1", "B"}, 2, int64(0), []int64{5}, uint(7), uint64(9),
		2 * time.Second, true, false}
	for i, r := range results {
		if !slices.EqualFunc(r, want, func(a, b any) bool { return fmtEq(a, b) }) {
			t.Errorf("cached=%v: got %v, want %v", i == 1, r, want)
		}
	}
	a, _ := app(&bytes.Buffer{}, true)
	plain, _ := app(&bytes.Buffer{}, false)
	for i, f := range a.Commands[0].Flags {
		if want := plain.Commands[0].Flags[i].Names(); !slices.Equal(f.Names(), want) {
			t.Errorf("names %v, want %v", f.Names(), want)
		}
		if _, ok := f.(interface{ Apply(*flag.FlagSet) error }); !ok || f.Names()[0] == "" {
			t.Errorf("flag %v lost its methods", f)
		}
		if slices.Contains([]string{"*cli.BoolFlag", "*cli.StringFlag"}, fmt.Sprintf("%T", f)) {
			t.Errorf("flag %s was not wrapped", f.Names()[0])
		}
	}
}

func TestCachedFlagsHelpUnchanged(t *testing.T) {
	var help [2]bytes.Buffer
	for i, cached := range []bool{false, true} {
		a, _ := app(&help[i], cached)
		if err := a.Run([]string{"husk", "run", "--help"}); err != nil {
			t.Fatal(err)
		}
	}
	if help[0].String() != help[1].String() || help[0].Len() == 0 {
		t.Fatalf("help differs:\n%s\nwith cached names:\n%s", help[0].String(), help[1].String())
	}
}

func fmtEq(a, b any) bool {
	switch a := a.(type) {
	case []string:
		return slices.Equal(a, b.([]string))
	case []int64:
		return slices.Equal(a, b.([]int64))
	}
	return a == b
}
