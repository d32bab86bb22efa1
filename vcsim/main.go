// Command vcsim serves a vCenter inventory described by a JSON model, for vmotion-validator's tests.
//
//	VCSIM_PASSWORD=secret vcsim -model model.json -listen 127.0.0.1:0 -state DIR [-username USER]
//
// It listens on 127.0.0.1 only, writes DIR/ca.pem (the CA to verify its TLS certificate with),
// DIR/server.pem and, once it answers, DIR/endpoint.json: {"url", "host", "port", "username",
// "ca_file", "cert_file", "thumbprint", "thumbprint_sha256", "pid", "hosts", "build_seconds"}.
// In front of the simulator it answers esxcli network diag ping through the vSphere API (soapfront.go,
// API.md). It stops on SIGTERM or SIGINT.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
)

type endpoint struct {
	URL              string  `json:"url"`
	Host             string  `json:"host"`
	Port             int     `json:"port"`
	Username         string  `json:"username"`
	CAFile           string  `json:"ca_file"`
	CertFile         string  `json:"cert_file"`
	Thumbprint       string  `json:"thumbprint"`
	ThumbprintSHA256 string  `json:"thumbprint_sha256"`
	PID              int     `json:"pid"`
	Hosts            int     `json:"hosts"`
	BuildSeconds     float64 `json:"build_seconds"`
}

func main() {
	modelPath := flag.String("model", "", "JSON model file (required)")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on; only 127.0.0.1 is accepted (port 0 = free port)")
	stateDir := flag.String("state", "", "directory for endpoint.json, ca.pem and server.pem (required)")
	username := flag.String("username", "administrator@vsphere.local", "the only user accepted")
	logPath := flag.String("log", "", "log file (default stderr)")
	flag.Parse()
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			log.Fatal(err)
		}
		log.SetOutput(f)
	}
	if path := os.Getenv("VCSIM_CPUPROFILE"); path != "" { // where the time goes (benchmarks/bench_api.py --profile)
		f, err := os.Create(path)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*modelPath, *listen, *stateDir, *username, os.Getenv("VCSIM_PASSWORD")); err != nil {
		log.Printf("vcsim: %v", err)
		fmt.Fprintf(os.Stderr, "vcsim: %v\n", err)
		os.Exit(1)
	}
}

func run(modelPath, listen, stateDir, username, password string) error {
	if modelPath == "" || stateDir == "" {
		return fmt.Errorf("-model and -state are required")
	}
	if password == "" {
		return fmt.Errorf("set the password in the VCSIM_PASSWORD environment variable")
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host != "127.0.0.1" {
		return fmt.Errorf("-listen %q: only 127.0.0.1:PORT is accepted", listen)
	}
	model, err := loadModel(modelPath)
	if err != nil {
		return err
	}
	started := time.Now()
	sim := simulator.VPX()
	sim.Datacenter, sim.Host, sim.Cluster, sim.ClusterHost = 0, 0, 0, 0
	sim.Portgroup, sim.Datastore, sim.Machine, sim.Pool = 0, 0, 0, 0
	about := &sim.ServiceContent.About
	about.ApiVersion, about.Version, about.Build = "7.0.3.0", "7.0.3", "20990077"
	about.FullName = "VMware vCenter Server 7.0.3 build-20990077"
	if err := sim.Create(); err != nil {
		return err
	}
	defer sim.Remove()
	ctx := context.Background()
	client, err := vim25.NewClient(ctx, sim.Service)
	if err != nil {
		return err
	}
	installPagingCollector(client.ServiceContent.PropertyCollector)
	inv, err := buildInventory(ctx, client, model)
	if err != nil {
		return err
	}
	buildSeconds := time.Since(started).Seconds()
	log.Printf("vcsim: %d hosts built in %.2fs", len(model.Hosts), buildSeconds)

	certs, err := newServerTLS(stateDir)
	if err != nil {
		return err
	}
	sim.Service.TLS = certs.config
	sim.Service.Listen = &url.URL{Host: listen, User: url.UserPassword(username, password)}
	server := sim.Service.NewServer()
	defer server.Close()
	stopping, stopAll := context.WithCancel(context.Background())
	defer stopAll() // before the server closes: hung calls return and running pings are killed
	// no request has arrived yet: the listener's address is published below
	server.Config.Handler = newSoapFront(server.Config.Handler, inv, model, stopping)

	port := server.Listener.Addr().(*net.TCPAddr).Port
	u := url.URL{Scheme: "https", Host: net.JoinHostPort("127.0.0.1", fmt.Sprint(port)), Path: "/sdk"}
	ep := endpoint{
		URL: u.String(), Host: "127.0.0.1", Port: port, Username: username,
		CAFile: certs.caFile, CertFile: certs.certFile,
		Thumbprint: certs.thumbprint, ThumbprintSHA256: certs.thumbprintSHA256,
		PID: os.Getpid(), Hosts: len(model.Hosts), BuildSeconds: buildSeconds,
	}
	if err := writeJSON(filepath.Join(stateDir, "endpoint.json"), ep); err != nil {
		return err
	}
	log.Printf("vcsim: serving %s", ep.URL)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	log.Printf("vcsim: stopping")
	stopAll()
	server.Close() // waits for every call in flight: the ones stopAll ended return at once
	log.Printf("vcsim: stopped")
	return nil
}

// writeJSON writes atomically: readers never see a partial endpoint file.
func writeJSON(path string, v interface{}) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
