package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/wxgate/wxgate/config"
)

var oidcCommand = command{
	summary: "inspect the OpenID Connect provider's clients",
	run:     runOIDC,
}

// runOIDC dispatches `wxgate oidc <subcommand>`.
func runOIDC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := func() {
		fmt.Fprint(stderr, "Usage: wxgate oidc <command> [flags]\n\n"+
			"The OpenID Connect provider (docs/oidc.md).\n\nCommands:\n"+
			"  clients    list the configured clients, their redirect URIs and scopes (never their secrets)\n")
	}
	if len(args) == 0 {
		usage()
		return exitError{2}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage()
		return flag.ErrHelp
	case "clients":
		return runOIDCClients(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "wxgate oidc: unknown command %q\n\n", args[0])
	usage()
	return exitError{2}
}

func runOIDCClients(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("oidc clients", "--config FILE",
		"Lists the OpenID clients of a configuration: id, name, type (confidential or public), where\n"+
			"the secret comes from, subject type, scopes, lifetimes and redirect URIs. Secrets are never\n"+
			"shown. The configuration is checked as `wxgate serve` checks it.", stderr)
	cfgPath := fs.String("config", os.Getenv("WXGATE_CONFIG"), "YAML configuration `file` (default: $WXGATE_CONFIG)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cfgPath == "" {
		fs.Usage()
		return errors.New("--config is required (or set WXGATE_CONFIG)")
	}
	cfg, err := config.Load(*cfgPath, os.LookupEnv)
	if err != nil {
		return err
	}
	o := cfg.OIDC
	if !o.Enabled() {
		fmt.Fprintln(stdout, "No OpenID clients are configured: the provider is off. Add clients under oidc: (docs/oidc.md).")
		return nil
	}
	fmt.Fprintf(stdout, "issuer %s, signing %s, access tokens %s\n\n", o.Issuer, o.SigningAlg, o.AccessTokenFormat)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tTYPE\tSECRET FROM\tSUBJECT\tSCOPES\tTTL (ACCESS/ID/REFRESH)\tREDIRECT URIS")
	for _, c := range o.Clients {
		kind, from := "confidential", ""
		switch {
		case c.Public:
			kind, from = "public (PKCE)", "-"
		case c.SecretEnv != "":
			from = "env " + c.SecretEnv
		case c.SecretFile != "":
			from = "file " + c.SecretFile
		default:
			from = "literal (dev)"
		}
		sub := c.SubjectType
		if c.ReleaseUnionID {
			sub += " +unionid"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s/%s/%s\t%s\n", c.ID, c.Name, kind, from, sub, strings.Join(c.Scopes, " "),
			c.AccessTokenTTL, c.IDTokenTTL, c.RefreshTokenTTL, strings.Join(c.RedirectURIs, " "))
	}
	return tw.Flush()
}
