package main

import (
	"github.com/ctxhole/ctxhole/vet/vetcmd"
	"github.com/spf13/cobra"
)

// vetCmd is "ctxhole vet": the static analyzers of package vet. Its flags
// are go vet's single-dash ones (-json, -sarif, -from, -C), parsed by
// vet/vetcmd itself, so cobra passes the arguments through untouched and
// `ctxhole help vet` prints vetcmd's own usage.
func (inv *invocation) vetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                "vet [flags] [packages]",
		Short:              "Find timeout holes in source (go vet style; -from ranks a finding's siblings first)",
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			inv.code = vetcmd.Run(args, inv.stdout, inv.stderr)
			return nil
		},
	}
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) {
		vetcmd.Run([]string{"-h"}, c.OutOrStdout(), c.OutOrStdout())
	})
	return cmd
}
