package main

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/vmware/govmomi/vim25/types"
)

const (
	diagHandler = "ha-cli-handler-network-diag"
	pingMethod  = "vim.EsxCLI.network.diag.ping"
	notFoundMsg = "The object or item referred to could not be found."
	hostdDown   = "Unable to complete the operation: hostd is not responding"
	netPrivID   = "Host.Config.NetService"
)

// pingParams are the parameters of esxcli network diag ping and their types.
var pingParams = map[string]string{
	"count": "long", "debug": "boolean", "df": "boolean", "host": "string", "interface": "string",
	"interval": "string", "ipv4": "boolean", "ipv6": "boolean", "netstack": "string", "nexthop": "string",
	"size": "long", "ttl": "long", "wait": "string",
}

var (
	hostnameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$`)
	nameRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	secondsRE  = regexp.MustCompile(`^[0-9]{1,6}(\.[0-9]{1,6})?$`)
)

// limits of the values accepted (the simulator bounds every run by count*interval + wait + 60 s)
const (
	maxCount    = 1000
	maxInterval = 60.0
	maxWait     = 600.0
	maxSize     = 65507
)

// pingRequest is one network diag ping call with its arguments checked.
type pingRequest struct {
	host, iface, netstack, nexthop string
	interval, wait                 string // as given (seconds); "" = vmkping's default
	count, size, ttl               int64  // 0 = not given
	df, ipv4, ipv6, sizeSet        bool
}

// cliError is what esxcli rejects: one errMsg line per entry.
type cliError []string

func (e cliError) Error() string { return strings.Join(e, "; ") }

// printable is text from a request made safe to quote back: no control characters, at most 80 runes.
func printable(text string) string {
	var b strings.Builder
	n := 0
	for _, r := range text {
		if n == 80 {
			b.WriteString("...")
			break
		}
		if !unicode.IsPrint(r) {
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

func invalidValue(name, value, why string) cliError {
	return cliError{fmt.Sprintf("Invalid value for '%s': '%s' %s", name, printable(value), why)}
}

// argumentValue reads an argument's val, the XML text <name>value</name>, into its value.
func argumentValue(a soapArgument) (string, error) {
	dec := xml.NewDecoder(strings.NewReader(a.Val))
	var value strings.Builder
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth > 0 || t.Name.Local != a.Name {
				return "", fmt.Errorf("expected <%s>value</%s>", a.Name, a.Name)
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && strings.TrimSpace(string(t)) != "" {
				return "", fmt.Errorf("expected <%s>value</%s>", a.Name, a.Name)
			}
			if depth > 0 {
				value.Write(t)
			}
		}
	}
	return value.String(), nil
}

func parseLong(name, value string, min, max int64) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil {
		return 0, invalidValue(name, value, "is not an integer")
	}
	if n < min || n > max {
		return 0, invalidValue(name, value, fmt.Sprintf("is outside %d..%d", min, max))
	}
	return n, nil
}

func parseBoolean(name, value string) (bool, error) {
	switch strings.TrimSpace(value) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, invalidValue(name, value, "is not a boolean")
}

func parseSeconds(name, value string, max float64) (string, error) {
	value = strings.TrimSpace(value)
	if !secondsRE.MatchString(value) {
		return "", invalidValue(name, value, "is not a number of seconds")
	}
	if v, _ := strconv.ParseFloat(value, 64); v > max {
		return "", invalidValue(name, value, fmt.Sprintf("is above %g", max))
	}
	return value, nil
}

// parsePing checks the arguments of one ping call as esxcli would, in any order.
func parsePing(args []soapArgument) (*pingRequest, error) {
	p := &pingRequest{}
	seen := map[string]bool{}
	for _, a := range args {
		if _, known := pingParams[a.Name]; !known {
			return nil, cliError{fmt.Sprintf("Invalid option '%s'", printable(a.Name))}
		}
		if seen[a.Name] {
			return nil, cliError{fmt.Sprintf("Option '%s' given more than once", a.Name)}
		}
		seen[a.Name] = true
		value, err := argumentValue(a)
		if err != nil {
			return nil, invalidValue(a.Name, a.Val, "("+err.Error()+")")
		}
		if err := p.set(a.Name, value); err != nil {
			return nil, err
		}
	}
	if p.host == "" {
		return nil, cliError{"Missing required parameter -H|--host"}
	}
	if p.ipv4 && p.ipv6 {
		return nil, cliError{"Invalid value for 'ipv6': --ipv4 and --ipv6 cannot be given together"}
	}
	return p, nil
}

func (p *pingRequest) set(name, value string) error {
	var err error
	switch name {
	case "host":
		if net.ParseIP(value) == nil && !hostnameRE.MatchString(value) {
			return invalidValue(name, value, "is not an address or host name")
		}
		p.host = value
	case "interface", "netstack":
		if !nameRE.MatchString(value) {
			return invalidValue(name, value, "is not a valid name")
		}
		if name == "interface" {
			p.iface = value
		} else {
			p.netstack = value
		}
	case "nexthop":
		if net.ParseIP(value) == nil {
			return invalidValue(name, value, "is not an IP address")
		}
		p.nexthop = value
	case "interval":
		p.interval, err = parseSeconds(name, value, maxInterval)
	case "wait":
		p.wait, err = parseSeconds(name, value, maxWait)
	case "count":
		p.count, err = parseLong(name, value, 1, maxCount)
	case "size":
		p.size, err = parseLong(name, value, 0, maxSize)
		p.sizeSet = true
	case "ttl":
		p.ttl, err = parseLong(name, value, 1, 255)
	case "df":
		p.df, err = parseBoolean(name, value)
	case "ipv4":
		p.ipv4, err = parseBoolean(name, value)
	case "ipv6":
		p.ipv6, err = parseBoolean(name, value)
	case "debug":
		_, err = parseBoolean(name, value)
	}
	return err
}

// vmkpingArgs are the lab vmkping's arguments for the call (the host last).
func (p *pingRequest) vmkpingArgs() []string {
	var args []string
	if p.netstack != "" {
		args = append(args, "++netstack="+p.netstack)
	}
	if p.iface != "" {
		args = append(args, "-I", p.iface)
	}
	if p.ipv4 {
		args = append(args, "-4")
	}
	if p.ipv6 {
		args = append(args, "-6")
	}
	if p.count > 0 {
		args = append(args, "-c", strconv.FormatInt(p.count, 10))
	}
	if p.interval != "" {
		args = append(args, "-i", p.interval)
	}
	if p.wait != "" {
		args = append(args, "-W", p.wait)
	}
	if p.sizeSet {
		args = append(args, "-s", strconv.FormatInt(p.size, 10))
	}
	if p.df {
		args = append(args, "-d")
	}
	if p.ttl > 0 {
		args = append(args, "-t", strconv.FormatInt(p.ttl, 10))
	}
	if p.nexthop != "" {
		args = append(args, "-N", p.nexthop)
	}
	return append(args, p.host)
}

// ---------------------------------------------------------------- ExecuteSoap ----

func (f *soapFront) executeSoap(w http.ResponseWriter, r *http.Request, call *frontCall, cookie string) {
	st, fault := f.host(call.This, mmeType, mmePrefix)
	if fault != nil {
		writeSoapFault(w, fault)
		return
	}
	if !f.countCall(cookie) {
		writeFault(w, "", &types.NotAuthenticated{
			NoPermission: types.NoPermission{Object: call.This.ref(), PrivilegeId: "System.View"},
		})
		return
	}
	switch st.api {
	case "no-permission":
		writeFault(w, "Permission to perform this operation was denied.", &types.NoPermission{
			Object: st.host.Self, PrivilegeId: netPrivID,
		})
		return
	case "fault":
		writeExecuteFault(w, hostdDown, cliError{hostdDown})
		return
	case "hang":
		select { // never answers: ends when the client goes away or vcsim stops
		case <-r.Context().Done():
		case <-f.stop.Done():
		}
		panic(http.ErrAbortHandler)
	}
	if call.Moid != diagHandler || call.Method != pingMethod {
		writeExecuteFault(w, notFoundMsg, nil)
		return
	}
	req, err := parsePing(call.Argument)
	var cli cliError
	if errors.As(err, &cli) {
		writeExecuteFault(w, cli.Error(), cli)
		return
	}
	if st.lab == nil {
		msg := fmt.Sprintf("Unable to complete the operation: host %s has no lab host to ping from", st.host.Name)
		writeExecuteFault(w, msg, cliError{msg})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), req.bound())
	defer cancel()
	go func() { // vcsim stopping ends the run too
		select {
		case <-f.stop.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	out, err := runVmkping(ctx, st.lab, req.vmkpingArgs())
	if err != nil {
		if r.Context().Err() != nil || f.stop.Err() != nil {
			panic(http.ErrAbortHandler) // nobody is waiting for the answer
		}
		log.Printf("vcsim: %s: vmkping %v: %v", st.host.Name, req.vmkpingArgs(), err)
		msg := "Unable to complete the operation: " + err.Error()
		writeExecuteFault(w, msg, cliError{msg})
		return
	}
	doc, cli := pingAnswer(out, req)
	if cli != nil {
		writeExecuteFault(w, cli.Error(), cli)
		return
	}
	writeResponse(w, "ExecuteSoap", "<returnval><response>"+escape(doc)+"</response></returnval>")
}

// writeExecuteFault answers ExecuteSoap with a result fault: faultMsg, and errMsg lines in a
// VimEsxCLICLIFault document (omitted when lines is nil).
func writeExecuteFault(w http.ResponseWriter, msg string, lines cliError) {
	inner := "<faultMsg>" + escape(msg) + "</faultMsg>"
	if lines != nil {
		inner += "<faultDetail>" + escape(cliFaultDocument(lines)) + "</faultDetail>"
	}
	writeResponse(w, "ExecuteSoap", "<returnval><fault>"+inner+"</fault></returnval>")
}

func cliFaultDocument(lines cliError) string {
	var b strings.Builder
	b.WriteString(`<obj xmlns="urn:vim25" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" versionId="5.0" ` +
		`xsi:type="VimEsxCLICLIFault">`)
	for _, line := range lines {
		b.WriteString("<errMsg>" + escape(line) + "</errMsg>")
	}
	b.WriteString("</obj>")
	return b.String()
}
