package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"husk/image"
)

var imagesCommand = &cli.Command{
	Name:      "images",
	Usage:     "list images in the store, or those of one repository",
	ArgsUsage: "[REPOSITORY[:TAG]]",
	Flags:     []cli.Flag{&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print ids only"}},
	Action:    listImages,
}

var rmiCommand = &cli.Command{
	Name:      "rmi",
	Usage:     "remove images (untag; unused layers go with the last name)",
	ArgsUsage: "IMAGE [IMAGE...]",
	Flags:     []cli.Flag{forceFlag},
	Action:    removeImages,
}

// forceFlag lets rmi remove an image with several names by its ID.
var forceFlag = &cli.BoolFlag{
	Name: "force", Aliases: []string{"f"}, Usage: "remove an image with several names by its id",
}

var imageCommand = &cli.Command{
	Name:  "image",
	Usage: "manage images",
	Subcommands: []*cli.Command{
		{
			Name:      "import",
			Usage:     "import an OCI layout directory, an OCI archive or a docker-save archive",
			ArgsUsage: "PATH [NAME[:TAG]]",
			Action:    importImage,
		},
		{Name: "ls", Aliases: []string{"list"}, Usage: "list images", ArgsUsage: "[REPOSITORY[:TAG]]", Action: listImages,
			Flags: []cli.Flag{&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}}}},
		{Name: "rm", Usage: "remove images", ArgsUsage: "IMAGE [IMAGE...]", Action: removeImages,
			Flags: []cli.Flag{forceFlag}},
	},
}

func importImage(c *cli.Context) error {
	if c.NArg() < 1 || c.NArg() > 2 {
		return fmt.Errorf("image import: want PATH [NAME[:TAG]]")
	}
	e, err := openEngine(c)
	if err != nil {
		return err
	}
	img, err := e.Images.Import(c.Args().Get(0), image.ImportOptions{Name: c.Args().Get(1)})
	if err != nil {
		return err
	}
	fmt.Println(img.ID)
	return nil
}

func listImages(c *cli.Context) error {
	if c.NArg() > 1 {
		return fmt.Errorf("images: want at most one REPOSITORY[:TAG], got %d arguments", c.NArg())
	}
	match, err := nameMatcher(c.Args().First())
	if err != nil {
		return err
	}
	e, err := openEngine(c)
	if err != nil {
		return err
	}
	imgs, err := e.Images.List()
	if err != nil {
		return err
	}

	w := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
	if !c.Bool("quiet") {
		fmt.Fprintln(w, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
	}
	for _, img := range imgs {
		id := shortDigest(string(img.ID))
		names := img.Names
		if len(names) == 0 {
			names = []string{"<none>:<none>"}
		}
		names = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return !match(n) })
		if len(names) > 0 && c.Bool("quiet") {
			fmt.Fprintln(w, id)
			continue
		}
		for _, n := range names {
			repo, tag := splitName(n)
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", repo, tag, id, ago(img.Created), humanSize(img.Size))
		}
	}
	return w.Flush()
}

// nameMatcher reports which image names a `husk images` argument picks:
// all for none, the repository's for REPOSITORY, one name for
// REPOSITORY:TAG, as docker images has it. An argument that is no image
// name is an error.
func nameMatcher(arg string) (func(name string) bool, error) {
	if arg == "" {
		return func(string) bool { return true }, nil
	}
	norm, err := image.NormalizeName(arg)
	if err != nil {
		return nil, err
	}
	_, _, tagged := image.SplitTag(arg)
	repo, tag := splitName(norm)
	return func(name string) bool {
		r, t := splitName(name)
		return r == repo && (!tagged || t == tag)
	}, nil
}

func removeImages(c *cli.Context) error {
	if c.NArg() == 0 {
		return fmt.Errorf("rmi: name at least one IMAGE")
	}
	e, err := openEngine(c)
	if err != nil {
		return err
	}
	var failed error
	for _, ref := range c.Args().Slice() {
		res, err := e.RemoveImage(ref, c.Bool("force"))
		if err != nil {
			fmt.Fprintf(os.Stderr, "husk: %v\n", err)
			failed = exitCode{code: 1}
			continue
		}
		for _, n := range res.Untagged {
			fmt.Println("Untagged: " + n)
		}
		if res.Deleted {
			fmt.Println("Deleted: " + res.ID)
		}
	}
	return failed
}

func shortDigest(d string) string {
	_, hex, _ := strings.Cut(d, ":")
	if len(hex) > 12 {
		return hex[:12]
	}
	return hex
}

// splitName splits "name:tag", the tag "latest" when n has none.
func splitName(n string) (string, string) {
	repo, tag, ok := image.SplitTag(n)
	if !ok {
		tag = "latest"
	}
	return repo, tag
}

// humanSize prints n in decimal units (1.56MB), as docker images does.
func humanSize(n int64) string { return scaled(n, 1000, "B", "kB", "MB", "GB", "TB") }

// binarySize prints n in binary units (64MiB), as docker stats does for
// memory, which limits are set in.
func binarySize(n int64) string { return scaled(n, 1024, "B", "KiB", "MiB", "GiB", "TiB") }

func scaled(n int64, unit float64, names ...string) string {
	v, i := float64(n), 0
	for v >= unit && i < len(names)-1 {
		v /= unit
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d%s", n, names[0])
	}
	return fmt.Sprintf("%.3g%s", v, names[i])
}
