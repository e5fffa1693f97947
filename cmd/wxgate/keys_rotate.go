package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/gateway"
	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage"
)

func init() {
	keysCommands["rotate"] = command{summary: "add a new active key (then run reseal)", run: runKeysRotate}
	keysCommands["reseal"] = command{summary: "re-seal stored data under the active key (resumable, safe while serving)", run: runKeysReseal}
	keysCommands["retire"] = command{summary: "drop an old key once nothing is sealed under it", run: runKeysRetire}
}

func runKeysRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys rotate", "--config FILE | --file PATH",
		"Adds a new AES-256 key to the keyring and makes it the active one. Old keys stay, so\n"+
			"everything sealed before still opens.\n\n"+
			"With --config, it then re-seals every stored row under the new key while the gateways\n"+
			"keep serving: a gateway that meets the new key re-reads the keyring file by itself (or\n"+
			"send SIGHUP). It is resumable: if it stops, run `wxgate keys reseal --config FILE`.\n"+
			"With --file alone it only rotates the file; run `keys reseal` later.\n"+
			"Finally `wxgate keys retire --id OLD --config FILE` drops the old key.", stderr)
	cfgPath := fs.String("config", os.Getenv("WXGATE_CONFIG"), "the gateway's YAML configuration `file`: rotate its keys_file, then re-seal its database")
	file := fs.String("file", "", "keyring `path` to rotate without re-sealing (default: the configuration's keys_file)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	path := *file
	if path == "" && *cfgPath == "" {
		path = defaultKeysFile
	}
	if path == "" {
		cfg, err := config.Load(*cfgPath, os.LookupEnv)
		if err != nil {
			return err
		}
		path = cfg.KeysFile
	}
	kr, err := seal.Load(path)
	if err != nil {
		return err
	}
	old := kr.ActiveKeyID()
	if kr, err = kr.Rotated(); err != nil {
		return err
	}
	if err := seal.WriteFile(path, kr, true); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: key %s is now active (was %s).\n", path, kr.ActiveKeyID(), old)
	if *cfgPath == "" || *file != "" {
		fmt.Fprintf(stdout, "Next: SIGHUP the gateways, then `wxgate keys reseal --config FILE`, then `wxgate keys retire --id %s --config FILE`.\n", old)
		return nil
	}
	return runKeysReseal(ctx, []string{"--config", *cfgPath}, stdout, stderr)
}

// openForKeys opens the configuration's database and keyring.
func openForKeys(ctx context.Context, cfgPath string) (*config.Config, storage.Store, *seal.Keyring, error) {
	if cfgPath == "" {
		return nil, nil, nil, fmt.Errorf("--config is required (or set WXGATE_CONFIG)")
	}
	cfg, err := config.Load(cfgPath, os.LookupEnv)
	if err != nil {
		return nil, nil, nil, err
	}
	kr, err := seal.Load(cfg.KeysFile)
	if err != nil {
		return nil, nil, nil, err
	}
	store, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("opening the database: %w", err)
	}
	return cfg, store, kr, nil
}

func runKeysReseal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys reseal", "--config FILE",
		"Re-seals every stored openid, unionid, phone number, session_key and WeChat token under\n"+
			"the keyring's active key. Safe while gateways serve (a value a gateway rewrote meanwhile\n"+
			"is left alone) and resumable: run it again after an interruption.", stderr)
	cfgPath := fs.String("config", os.Getenv("WXGATE_CONFIG"), "the gateway's YAML configuration `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, store, kr, err := openForKeys(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer store.Close()
	log := newLogger(cfg.Log, stderr, nil)
	rep, err := gateway.Reseal(ctx, store, kr, log)
	if err != nil {
		return fmt.Errorf("re-sealing stopped (run it again to resume): %w", err)
	}
	detail := map[string]string{"active_key": kr.ActiveKeyID(), "resealed": fmt.Sprint(rep.Resealed)}
	if _, err := store.AppendEvent(ctx, storage.Event{Time: time.Now().UTC(), Type: gateway.EventKeyRotation, Detail: detail}); err != nil {
		log.Warn("recording the key rotation event failed", "err", err)
	}
	fmt.Fprintf(stdout, "Looked at %d identities and %d users; re-sealed %d fields under key %s (%d were rewritten by a gateway meanwhile).\n",
		rep.Identities, rep.Users, rep.Resealed, kr.ActiveKeyID(), rep.Changed)
	if left := describeRemaining(rep.Remaining); left != "" {
		fmt.Fprintf(stdout, "Still sealed under older keys: %s. Run reseal again (a gateway may still run with the old keyring: SIGHUP it).\n", left)
		return exitError{1}
	}
	var old []string
	for _, id := range kr.KeyIDs() {
		if id != kr.ActiveKeyID() {
			old = append(old, id)
		}
	}
	if len(old) > 0 {
		fmt.Fprintf(stdout, "Nothing is left under %s: retire with `wxgate keys retire --id ID --config %s`.\n", strings.Join(old, ", "), *cfgPath)
	}
	return nil
}

func describeRemaining(m map[string]int) string {
	var parts []string
	for id, n := range m {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d under %s", n, id))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func runKeysRetire(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys retire", "--id KEY --config FILE",
		"Removes an old key from the keyring. It refuses while anything in the database is still\n"+
			"sealed under that key (run `wxgate keys reseal` first) and it never removes the active key.\n"+
			"Cached app tokens sealed under it are simply fetched again.", stderr)
	cfgPath := fs.String("config", os.Getenv("WXGATE_CONFIG"), "the gateway's YAML configuration `file`")
	id := fs.String("id", "", "the key `id` to retire (see `wxgate keys show`)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" {
		return fmt.Errorf("--id is required")
	}
	cfg, store, kr, err := openForKeys(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer store.Close()
	left, err := gateway.SealedUnder(ctx, store, kr)
	if err != nil {
		return err
	}
	if n := left[*id]; n > 0 {
		return fmt.Errorf("%d stored fields are still sealed under %s: run `wxgate keys reseal --config %s` first", n, *id, *cfgPath)
	}
	next, err := kr.Retire(*id)
	if err != nil {
		return err
	}
	if err := seal.WriteFile(cfg.KeysFile, next, true); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: retired key %s; %d keys remain, %s active. SIGHUP the gateways.\n", cfg.KeysFile, *id, len(next.KeyIDs()), next.ActiveKeyID())
	return nil
}
