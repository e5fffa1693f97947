package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/wxgate/wxgate/backup"
	"github.com/wxgate/wxgate/config"
)

func init() {
	commands["backup"] = command{summary: "copy the database and keyring, consistently, while serving", run: runBackup}
	commands["restore"] = command{summary: "check a backup, then put it in place of a fresh database and keyring", run: runRestore}
}

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backup", "--config FILE --out DIR",
		"Backs up the gateway of the configuration into DIR (new or empty; mode 0700, files 0600):\n"+
			"  wxgate.db      SQLite: a consistent copy made with VACUUM INTO, safe while gateways serve\n"+
			"  wxgate.keys    the keyring: without it nothing sealed in the database can be read\n"+
			"  manifest.json  versions, schema version, key ids and SHA-256 checksums\n"+
			"Before it finishes it checks that the keyring opens every sealed value of the copy.\n"+
			"For PostgreSQL it checks the server's version and prints the pg_dump command to run\n"+
			"(pg_dump is the right tool there); the keyring and manifest are written as above.\n"+
			"The configuration and the AppSecrets are never copied: keep them as you keep secrets.", stderr)
	cfgPath := fs.String("config", os.Getenv("WXGATE_CONFIG"), "the gateway's YAML configuration `file`")
	out := fs.String("out", "", "the backup `directory` to create (must be new or empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cfgPath == "" || *out == "" {
		fs.Usage()
		return exitError{2}
	}
	cfg, err := config.Load(*cfgPath, os.LookupEnv)
	if err != nil {
		return err
	}
	res, err := backup.Create(ctx, cfg, *out, version)
	if err != nil {
		return err
	}
	m := res.Manifest
	switch m.Database.Backend {
	case "sqlite":
		fmt.Fprintf(stdout, "Backed up to %s: database (schema version %d; %d identities, %d users, %d sealed values checked) and keyring (active key %s, %d keys).\n",
			*out, m.Database.SchemaVersion, m.Checked.Identities, m.Checked.Users, m.Checked.Opened, m.Keyring.ActiveKey, len(m.Keyring.KeyIDs))
	case "postgres":
		fmt.Fprintf(stdout, "Wrote the keyring (active key %s, %d keys) and manifest to %s. PostgreSQL %s: complete the backup with\n  %s\n(put the password in ~/.pgpass or PGPASSWORD, not on the command line)\n",
			m.Keyring.ActiveKey, len(m.Keyring.KeyIDs), *out, m.Database.ServerVersion, res.PgDump)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	return nil
}

func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("restore", "--config FILE --from DIR | --config FILE --verify",
		"Restores a backup made by `wxgate backup` into the database and keys_file of the\n"+
			"configuration, which must not exist yet (move them away first). It refuses, changing\n"+
			"nothing, a backup whose checksums do not match, whose schema is newer than this\n"+
			"wxgate knows, or whose keyring does not open every sealed value of its data.\n"+
			"For PostgreSQL it installs the keyring and prints the pg_restore command; run\n"+
			"`wxgate restore --config FILE --verify` after it.\n"+
			"--verify alone checks that the configuration's keyring opens every sealed value of\n"+
			"its database, and changes nothing.", stderr)
	cfgPath := fs.String("config", os.Getenv("WXGATE_CONFIG"), "the gateway's YAML configuration `file`")
	from := fs.String("from", "", "the backup `directory`")
	verify := fs.Bool("verify", false, "only check the configuration's keyring against its database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cfgPath == "" || (*from == "") == !*verify {
		fs.Usage()
		return exitError{2}
	}
	cfg, err := config.Load(*cfgPath, os.LookupEnv)
	if err != nil {
		return err
	}
	if *verify {
		rep, err := backup.Verify(ctx, cfg)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "The keyring %s opens all %d sealed values of %d identities and %d users.\n", cfg.KeysFile, rep.Opened, rep.Identities, rep.Users)
		return nil
	}
	res, err := backup.Restore(ctx, cfg, *from)
	if err != nil {
		return err
	}
	m := res.Manifest
	if res.PgRestore != "" {
		fmt.Fprintf(stdout, "Installed the keyring (active key %s) at %s. Now load the dump into an empty database:\n  %s\nthen run `wxgate restore --config %s --verify`, then start the gateways.\n",
			m.Keyring.ActiveKey, cfg.KeysFile, res.PgRestore, *cfgPath)
		return nil
	}
	fmt.Fprintf(stdout, "Restored the backup of %s (wxgate %s, schema version %d): %d identities and %d users, all %d sealed values open with keyring %s. Start the gateway.\n",
		m.CreatedAt.Format("2006-01-02 15:04:05 UTC"), m.WxgateVersion, m.Database.SchemaVersion, res.Checked.Identities, res.Checked.Users, res.Checked.Opened, cfg.KeysFile)
	return nil
}
