package main

import (
	"errors"

	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/urfave/cli/v2"
)

var pauseCommand = &cli.Command{Name: "pause", Usage: "freeze every process of a container", ArgsUsage: "ID",
	Action: func(c *cli.Context) error { return errors.New("pause: not ready") }}
var resumeCommand = &cli.Command{Name: "resume", Usage: "thaw a paused container", ArgsUsage: "ID",
	Action: func(c *cli.Context) error { return errors.New("resume: not ready") }}
var updateCommand = &cli.Command{Name: "update", Usage: "change a container's resource limits", ArgsUsage: "ID",
	Action: func(c *cli.Context) error { return errors.New("update: not ready") }}
var eventsCommand = &cli.Command{Name: "events", Usage: "report a container's events and stats", ArgsUsage: "ID",
	Action: func(c *cli.Context) error { return errors.New("events: not ready") }}

func seccompFeatures() *features.Seccomp { return nil }
