// Package cliflags makes urfave/cli's flags cheap to look up. A flag's
// Names() there runs a regexp over each of its names on every call, and
// the library calls it for every flag of a command once per flag it
// checks (runFlagActions asks IsSet of each, which walks the flags by
// name): about a thousand regexp replacements, 0.2 ms of every husk run
// here. Wrapped by Cache, a flag answers Names() from a list made once;
// everything else is the wrapped flag's own.
package cliflags

import "github.com/urfave/cli/v2"

// Cache wraps the flags of cmds and of their subcommands, and flags.
func Cache(cmds []*cli.Command, flags []cli.Flag) {
	wrapAll(flags)
	for _, c := range cmds {
		wrapAll(c.Flags)
		Cache(c.Subcommands, nil)
	}
}

func wrapAll(flags []cli.Flag) {
	for i, f := range flags {
		flags[i] = wrap(f)
	}
}

// wrap returns f with its names cached; a flag of a type it does not
// know is returned as it is. The names are the flag's Name and Aliases,
// which is what Names() makes of them but for its strip of anything after
// a comma or space (a v1 spelling no flag here has).
func wrap(f cli.Flag) cli.Flag {
	switch f := f.(type) {
	case *cli.BoolFlag:
		return boolFlag{f, names(f.Name, f.Aliases)}
	case *cli.StringFlag:
		return stringFlag{f, names(f.Name, f.Aliases)}
	case *cli.StringSliceFlag:
		return stringSliceFlag{f, names(f.Name, f.Aliases)}
	case *cli.IntFlag:
		return intFlag{f, names(f.Name, f.Aliases)}
	case *cli.Int64Flag:
		return int64Flag{f, names(f.Name, f.Aliases)}
	case *cli.Int64SliceFlag:
		return int64SliceFlag{f, names(f.Name, f.Aliases)}
	case *cli.UintFlag:
		return uintFlag{f, names(f.Name, f.Aliases)}
	case *cli.Uint64Flag:
		return uint64Flag{f, names(f.Name, f.Aliases)}
	case *cli.DurationFlag:
		return durationFlag{f, names(f.Name, f.Aliases)}
	}
	return f
}

func names(name string, aliases []string) []string {
	return append([]string{name}, aliases...)
}

// Each wrapper keeps the flag's methods (Apply, String, the help text's)
// and answers Names() itself.
type (
	boolFlag struct {
		*cli.BoolFlag
		n []string
	}
	stringFlag struct {
		*cli.StringFlag
		n []string
	}
	stringSliceFlag struct {
		*cli.StringSliceFlag
		n []string
	}
	intFlag struct {
		*cli.IntFlag
		n []string
	}
	int64Flag struct {
		*cli.Int64Flag
		n []string
	}
	int64SliceFlag struct {
		*cli.Int64SliceFlag
		n []string
	}
	uintFlag struct {
		*cli.UintFlag
		n []string
	}
	uint64Flag struct {
		*cli.Uint64Flag
		n []string
	}
	durationFlag struct {
		*cli.DurationFlag
		n []string
	}
)

func (f boolFlag) Names() []string        { return f.n }
func (f stringFlag) Names() []string      { return f.n }
func (f stringSliceFlag) Names() []string { return f.n }
func (f intFlag) Names() []string         { return f.n }
func (f int64Flag) Names() []string       { return f.n }
func (f int64SliceFlag) Names() []string  { return f.n }
func (f uintFlag) Names() []string        { return f.n }
func (f uint64Flag) Names() []string      { return f.n }
func (f durationFlag) Names() []string    { return f.n }
