package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const maxPingOutput = 256 << 10

// bound is how long a run may take before it is killed: count x interval + wait + 60 s, with
// vmkping's defaults (3 packets, 1 s apart, 1 s wait) for what the call leaves out.
func (p *pingRequest) bound() time.Duration {
	count, interval, wait := 3.0, 1.0, 1.0
	if p.count > 0 {
		count = float64(p.count)
	}
	if p.interval != "" {
		interval, _ = strconv.ParseFloat(p.interval, 64)
	}
	if p.wait != "" {
		wait, _ = strconv.ParseFloat(p.wait, 64)
	}
	return time.Duration((count*interval + wait + 60) * float64(time.Second))
}

// cappedBuffer keeps the first maxPingOutput bytes written to it.
type cappedBuffer struct{ bytes.Buffer }

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := maxPingOutput - b.Len(); room > 0 {
		if len(p) > room {
			b.Buffer.Write(p[:room])
		} else {
			b.Buffer.Write(p)
		}
	}
	return len(p), nil
}

// runVmkping runs the lab's vmkping for one host in its own process group, which is killed when ctx
// ends (deadline, client gone, vcsim stopping). Its exit status is not an error: loss exits 1.
func runVmkping(ctx context.Context, lab *LabBinding, args []string) (string, error) {
	cmd := exec.Command(lab.Vmkping, args...)
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/sbin:/usr/bin:/sbin:/bin"
	}
	cmd.Env = []string{"VMV_HOSTDIR=" + lab.HostDir, "PATH=" + path, "LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var out cappedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("cannot run the lab's vmkping: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if _, exited := err.(*exec.ExitError); err != nil && !exited {
			return "", fmt.Errorf("vmkping: %v", err)
		}
		return out.String(), nil
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		if ctx.Err() == context.DeadlineExceeded {
			return "", fmt.Errorf("the ping did not finish in time and was stopped")
		}
		return "", ctx.Err()
	}
}

var (
	pingHeaderRE  = regexp.MustCompile(`^PING (\S+) \(([^)]*)\): (\d+) data bytes$`)
	pingReplyRE   = regexp.MustCompile(`^(\d+) bytes from (\S+): icmp_seq=(\d+)(?: ttl=(\d+))?(?: time=([0-9.]+) ms)?( \(DUP!\))?$`)
	pingSendtoRE  = regexp.MustCompile(`^sendto\(\) failed \((.+)\)$`)
	pingStatsRE   = regexp.MustCompile(`^(\d+) packets transmitted, (\d+) packets received, ([0-9.]+)% packet loss$`)
	pingRttRE     = regexp.MustCompile(`^round-trip min/avg/max = ([0-9.]+)/([0-9.]+)/([0-9.]+) ms$`)
	unknownIfRE   = regexp.MustCompile(`^Unknown interface '[^']*': Invalid argument$`)
	noStackLine   = "*** vmkernel stack not configured ***"
	maxFaultLines = 5
)

// pingTrace is one Trace of the answer: a reply (TTL "" when none was printed) or a failed send.
type pingTrace struct {
	seq                 int
	host, ttl, detail   string
	bytes               int64
	rttMs               float64
	dup, reply, hasTime bool
}

// pingAnswer turns the lab vmkping's ESXi-style output into network diag ping's response document, or
// into esxcli's fault for what esxcli rejects.
func pingAnswer(output string, req *pingRequest) (string, cliError) {
	var (
		target, addr           string
		header, stats, haveRtt bool
		transmitted, received  int64
		rtt                    [3]float64
		traces                 []pingTrace
		lines                  []string
		failures               int
	)
	for _, raw := range strings.Split(output, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		lines = append(lines, line)
		if unknownIfRE.MatchString(line) {
			return "", cliError{line}
		}
		if line == noStackLine {
			stack := req.netstack
			if stack == "" {
				stack = "defaultTcpipStack"
			}
			return "", cliError{fmt.Sprintf("Invalid netstack instance '%s': %s", stack, noStackLine)}
		}
		if m := pingHeaderRE.FindStringSubmatch(line); m != nil && !header {
			header, target, addr = true, m[1], m[2]
		} else if m := pingReplyRE.FindStringSubmatch(line); m != nil {
			seq, _ := strconv.Atoi(m[3])
			size, _ := strconv.ParseInt(m[1], 10, 64)
			ms, _ := strconv.ParseFloat(m[5], 64)
			traces = append(traces, pingTrace{
				seq: seq, host: m[2], ttl: m[4], bytes: size, rttMs: ms, hasTime: m[5] != "",
				dup: m[6] != "", reply: true,
			})
		} else if m := pingSendtoRE.FindStringSubmatch(line); m != nil {
			traces = append(traces, pingTrace{seq: failures, detail: line})
			failures++
		} else if m := pingStatsRE.FindStringSubmatch(line); m != nil {
			stats = true
			transmitted, _ = strconv.ParseInt(m[1], 10, 64)
			received, _ = strconv.ParseInt(m[2], 10, 64)
		} else if m := pingRttRE.FindStringSubmatch(line); m != nil {
			haveRtt = true
			for i := range rtt {
				rtt[i], _ = strconv.ParseFloat(m[i+1], 64)
			}
		}
	}
	if !header || !stats {
		if len(lines) == 0 {
			return "", cliError{"Unable to complete the operation: vmkping printed nothing"}
		}
		if len(lines) > maxFaultLines {
			lines = lines[:maxFaultLines]
		}
		for i := range lines {
			lines[i] = printable(lines[i])
		}
		return "", cliError(lines)
	}
	if addr == "" {
		addr = target
	}
	for i := range traces {
		if !traces[i].reply {
			traces[i].host = addr
		}
	}
	return pingDocument(addr, transmitted, received, rtt, haveRtt, traces), nil
}

func micros(ms float64) int64 { return int64(math.Round(ms * 1000)) }

func pingDocument(addr string, transmitted, received int64, rtt [3]float64, haveRtt bool, traces []pingTrace) string {
	var b strings.Builder
	el := func(name, value string) { b.WriteString("<" + name + ">" + escape(value) + "</" + name + ">") }
	num := func(name string, v int64) { el(name, strconv.FormatInt(v, 10)) }
	dups := int64(0)
	for _, t := range traces {
		if t.dup {
			dups++
		}
	}
	lost := int64(0)
	if transmitted > 0 {
		lost = (transmitted - received) * 100 / transmitted
	}
	if !haveRtt {
		rtt = [3]float64{}
	}
	b.WriteString(`<obj xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
		`xmlns="urn:vim25" versionId="5.0" xsi:type="VimEsxCLInetworkdiagpingVMKPing">`)
	b.WriteString(`<Summary xsi:type="VimEsxCLInetworkdiagpingVMKPingSummary">`)
	num("Duplicated", dups)
	el("HostAddr", addr)
	num("PacketLost", lost)
	num("Recieved", received)
	num("RoundtripAvg", micros(rtt[1]))
	num("RoundtripAvgMS", int64(rtt[1]))
	num("RoundtripMax", micros(rtt[2]))
	num("RoundtripMaxMS", int64(rtt[2]))
	num("RoundtripMin", micros(rtt[0]))
	num("RoundtripMinMS", int64(rtt[0]))
	num("Transmitted", transmitted)
	b.WriteString("</Summary>")
	for _, t := range traces {
		b.WriteString(`<Trace xsi:type="VimEsxCLInetworkdiagpingVMKPingTrace">`)
		el("Detail", t.detail)
		el("Dup", strconv.FormatBool(t.dup))
		el("Host", t.host)
		num("ICMPSeq", int64(t.seq))
		if t.reply {
			num("ReceivedBytes", t.bytes)
			if t.hasTime {
				num("RoundtripTime", micros(t.rttMs))
				num("RoundtripTimeMS", int64(t.rttMs))
			}
			if t.ttl != "" {
				el("TTL", t.ttl)
			}
		}
		b.WriteString("</Trace>")
	}
	b.WriteString("</obj>")
	return b.String()
}
