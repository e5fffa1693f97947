package redis_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wxgate/wxgate/storage/redis"
)

// realCluster is a 3-master Redis Cluster of redis-servers this test
// started on free ports in a temporary directory (make test's deps-redis
// installs redis-server and redis-cli); it is stopped when the test ends.
type realCluster struct {
	t     *testing.T
	ports []int
	dirs  []string
	procs []*exec.Cmd
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startRealCluster(t *testing.T) *realCluster {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is not installed: run `make deps-redis` (make test does)", bin)
		}
	}
	c := &realCluster{t: t}
	root := t.TempDir()
	for i := range 3 {
		c.ports = append(c.ports, freePort(t))
		c.dirs = append(c.dirs, filepath.Join(root, strconv.Itoa(i)))
		c.procs = append(c.procs, nil)
		c.start(i)
	}
	args := []string{"--cluster", "create"}
	for _, p := range c.ports {
		args = append(args, "127.0.0.1:"+strconv.Itoa(p))
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.waitOK(30 * time.Second)
	return c
}

// start runs master i (again), keeping its nodes.conf.
func (c *realCluster) start(i int) {
	c.t.Helper()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(c.ports[i]), "--bind", "127.0.0.1",
		"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "1500",
		"--save", "", "--appendonly", "no", "--dir", c.dirs[i], "--protected-mode", "no")
	if err := exec.Command("mkdir", "-p", c.dirs[i]).Run(); err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.procs[i] = cmd
	c.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(15 * time.Second)
	for {
		cl := goredis.NewClient(&goredis.Options{Addr: c.addr(i)})
		err := cl.Ping(context.Background()).Err()
		cl.Close()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("redis-server on %s did not start: %v", c.addr(i), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *realCluster) stop(i int) {
	c.procs[i].Process.Kill()
	c.procs[i].Wait()
}

func (c *realCluster) addr(i int) string { return "127.0.0.1:" + strconv.Itoa(c.ports[i]) }

// waitOK polls every master until it reports cluster_state:ok.
func (c *realCluster) waitOK(limit time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for i := range c.ports {
		for {
			cl := goredis.NewClient(&goredis.Options{Addr: c.addr(i)})
			info, err := cl.ClusterInfo(context.Background()).Result()
			cl.Close()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("the cluster is not ok on %s after %v: %v %s", c.addr(i), limit, err, info)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func (c *realCluster) url() string {
	return fmt.Sprintf("redis://%s?cluster=1&addr=%s&addr=%s", c.addr(0), c.addr(1), c.addr(2))
}

// Ping checks the whole cluster: with one master stopped it fails at once
// and names that master, though the other nodes still answer PING; once
// the master is back, it recovers without a new KV.
func TestRealClusterPingNamesTheMasterThatIsDown(t *testing.T) {
	c := startRealCluster(t)
	ctx := context.Background()
	kv, err := redis.Open(ctx, c.url())
	if err != nil {
		t.Fatal(err)
	}
	defer kv.Close()
	if err := kv.Ping(ctx); err != nil {
		t.Fatalf("a healthy cluster: %v", err)
	}
	// Keys spread over the shards.
	for i := range 30 {
		if err := kv.Set(ctx, "probe:"+strconv.Itoa(i), []byte("v"), time.Minute); err != nil {
			t.Fatalf("set %d: %v", i, err)
		}
	}
	c.stop(1)
	err = within(t, prompt+2*time.Second, "ping with a master down", func() error { return kv.Ping(ctx) })
	if err == nil || !strings.Contains(err.Error(), c.addr(1)) {
		t.Fatalf("ping with master %s down: %v", c.addr(1), err)
	}
	for _, other := range []string{c.addr(0), c.addr(2)} {
		if strings.Contains(err.Error(), "master "+other) {
			t.Errorf("the error blames the live master %s: %v", other, err)
		}
	}
	// A live node still answers a keyless PING: what readiness used to see.
	cl := goredis.NewClient(&goredis.Options{Addr: c.addr(0)})
	if err := cl.Ping(ctx).Err(); err != nil {
		t.Fatalf("the live node does not answer PING: %v", err)
	}
	cl.Close()
	c.start(1)
	c.waitOK(30 * time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err = kv.Ping(ctx); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ping after the master came back: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
