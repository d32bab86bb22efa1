package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// Model is the JSON inventory the simulator serves (see README in validator/lab/vcsim.py).
type Model struct {
	Datacenter string      `json:"datacenter"`
	Clusters   []string    `json:"clusters"`
	Hosts      []HostModel `json:"hosts"`
	// ExpireSessionsAfterCalls logs a session out after that many ExecuteSoap calls (0 = never).
	ExpireSessionsAfterCalls int `json:"expire_sessions_after_calls"`
}

// HostModel is one ESXi host as vCenter sees it.
type HostModel struct {
	Name            string          `json:"name"`
	Cluster         string          `json:"cluster"`
	ManagementIP    string          `json:"management_ip"`
	ConnectionState string          `json:"connection_state"`
	Maintenance     bool            `json:"maintenance"`
	Lockdown        string          `json:"lockdown"`
	TsmSSH          bool            `json:"tsm_ssh"`
	Portgroups      []string        `json:"portgroups"`
	Netstacks       []NetstackModel `json:"netstacks"`
	Vmks            []VmkModel      `json:"vmks"`
	Vms             []VMModel       `json:"vms"`
	API             string          `json:"api"` // how ExecuteSoap behaves: ok, fault, hang, no-permission
	Lab             *LabBinding     `json:"lab"` // the lab host that answers network diag ping
}

// LabBinding names the lab host behind a simulated host: its directory (VMV_HOSTDIR) and the lab's vmkping.
type LabBinding struct {
	HostDir string `json:"host_dir"`
	Vmkping string `json:"vmkping"`
}

// NetstackModel is one TCP/IP stack instance and its default gateways.
type NetstackModel struct {
	Key      string `json:"key"`
	Gateway  string `json:"gateway"`
	Gateway6 string `json:"gateway6"`
}

// VmkModel is one VMkernel adapter.
type VmkModel struct {
	Device    string   `json:"device"`
	Portgroup string   `json:"portgroup"`
	Netstack  string   `json:"netstack"`
	IP        string   `json:"ip"`
	IP6       []string `json:"ip6"`
	MTU       int32    `json:"mtu"`
	Enabled   *bool    `json:"enabled"`
	Gateway   string   `json:"gateway"`
	Services  []string `json:"services"`
}

// VMModel is a virtual machine and the names of its networks.
type VMModel struct {
	Name     string   `json:"name"`
	Networks []string `json:"networks"`
}

var (
	connectionStates = []string{"connected", "disconnected", "notResponding"}
	lockdownModes    = []string{"lockdownDisabled", "lockdownNormal", "lockdownStrict"}
	apiModes         = []string{"ok", "fault", "hang", "no-permission"}
)

func loadModel(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	m := new(Model)
	if err := dec.Decode(m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.ExpireSessionsAfterCalls < 0 {
		return nil, fmt.Errorf("%s: expire_sessions_after_calls must be 0 (never) or more", path)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func oneOf(value string, allowed []string) bool {
	for _, a := range allowed {
		if value == a {
			return true
		}
	}
	return false
}

func (m *Model) check() error {
	if m.Datacenter == "" {
		m.Datacenter = "dc1"
	}
	clusters := map[string]bool{}
	for _, c := range m.Clusters {
		if c == "" || clusters[c] {
			return fmt.Errorf("clusters: empty or duplicate name %q", c)
		}
		clusters[c] = true
	}
	names := map[string]bool{}
	for i := range m.Hosts {
		h := &m.Hosts[i]
		where := fmt.Sprintf("hosts[%d] (%s)", i, h.Name)
		if h.Name == "" || names[h.Name] {
			return fmt.Errorf("%s: empty or duplicate name", where)
		}
		names[h.Name] = true
		if !clusters[h.Cluster] {
			return fmt.Errorf("%s: unknown cluster %q", where, h.Cluster)
		}
		if net.ParseIP(h.ManagementIP).To4() == nil {
			return fmt.Errorf("%s: management_ip %q is not an IPv4 address", where, h.ManagementIP)
		}
		if h.ConnectionState == "" {
			h.ConnectionState = "connected"
		}
		if !oneOf(h.ConnectionState, connectionStates) {
			return fmt.Errorf("%s: connection_state must be one of %v", where, connectionStates)
		}
		if h.Lockdown == "" {
			h.Lockdown = "lockdownDisabled"
		}
		if !oneOf(h.Lockdown, lockdownModes) {
			return fmt.Errorf("%s: lockdown must be one of %v", where, lockdownModes)
		}
		if h.API == "" {
			h.API = "ok"
		}
		if !oneOf(h.API, apiModes) {
			return fmt.Errorf("%s: api must be one of %v", where, apiModes)
		}
		if b := h.Lab; b != nil && (!filepath.IsAbs(b.HostDir) || !filepath.IsAbs(b.Vmkping)) {
			return fmt.Errorf("%s: lab.host_dir and lab.vmkping must be absolute paths", where)
		}
		if err := h.checkVmks(where); err != nil {
			return err
		}
	}
	return nil
}

func (h *HostModel) checkVmks(where string) error {
	devices := map[string]bool{}
	for j := range h.Vmks {
		v := &h.Vmks[j]
		vwhere := fmt.Sprintf("%s.vmks[%d] (%s)", where, j, v.Device)
		if !strings.HasPrefix(v.Device, "vmk") || devices[v.Device] {
			return fmt.Errorf("%s: device must be a unique vmkN", vwhere)
		}
		devices[v.Device] = true
		if v.Netstack == "" {
			v.Netstack = "defaultTcpipStack"
		}
		if v.Portgroup == "" {
			return fmt.Errorf("%s: portgroup is required", vwhere)
		}
		if v.MTU == 0 {
			v.MTU = 1500
		}
		if v.IP != "" {
			if ip, _, err := net.ParseCIDR(v.IP); err != nil || ip.To4() == nil {
				return fmt.Errorf("%s: ip %q is not ADDRESS/PREFIX (IPv4)", vwhere, v.IP)
			}
		}
		for _, a := range v.IP6 {
			if ip, _, err := net.ParseCIDR(a); err != nil || ip.To4() != nil {
				return fmt.Errorf("%s: ip6 %q is not ADDRESS/PREFIX (IPv6)", vwhere, a)
			}
		}
		if v.Gateway != "" && net.ParseIP(v.Gateway).To4() == nil {
			return fmt.Errorf("%s: gateway %q is not an IPv4 address", vwhere, v.Gateway)
		}
		for _, s := range v.Services {
			if !oneOf(s, nicTypes) {
				return fmt.Errorf("%s: unknown service %q (known: %v)", vwhere, s, nicTypes)
			}
		}
	}
	for _, v := range h.Vmks {
		if v.Device == "vmk0" && (v.IP == "" || strings.Split(v.IP, "/")[0] != h.ManagementIP) {
			return fmt.Errorf("%s: vmk0 must carry management_ip %s", where, h.ManagementIP)
		}
	}
	if !devices["vmk0"] {
		mgmt := VmkModel{
			Device: "vmk0", Portgroup: "Management Network", Netstack: "defaultTcpipStack",
			IP: h.ManagementIP + "/24", MTU: 1500, Services: []string{"management"},
		}
		h.Vmks = append([]VmkModel{mgmt}, h.Vmks...)
	}
	return nil
}
