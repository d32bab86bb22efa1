package main

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// nicTypes are the services of HostVirtualNicManager, in the order ESXi lists them.
var nicTypes = []string{
	"faultToleranceLogging", "management", "nvmeRdma", "nvmeTcp", "ptp", "vSphereBackupNFC",
	"vSphereProvisioning", "vSphereReplication", "vSphereReplicationNFC", "vmotion", "vsan", "vsanWitness",
}

// stackService maps a system TCP/IP stack to the only service its vmks can carry.
var stackService = map[string]string{"vmotion": "vmotion", "vSphereProvisioning": "vSphereProvisioning"}

const vnicKeyPrefix = "key-vim.host.VirtualNic-"

// hostState is the canonical network state of one host; render() derives every vim property from it.
type hostState struct {
	host     *simulator.HostSystem
	index    int
	cfg      *types.HostConfigInfo // kept when the host is disconnected (then host.Config is nil)
	selected map[string][]string   // nicType -> selected devices, in selection order
	enabled  map[string]bool       // device -> administratively up (not part of the vSphere API)
	services *types.HostServiceInfo
	vnicMgr  *vnicManager
	access   *accessManager
	api      string      // ExecuteSoap behaviour (model "api")
	lab      *LabBinding // the lab host answering network diag ping, or nil
}

func vnicKey(device string) string { return vnicKeyPrefix + device }

func (st *hostState) net() *types.HostNetworkInfo { return st.cfg.Network }

func (st *hostState) vnic(device string) *types.HostVirtualNic {
	for i := range st.net().Vnic {
		if st.net().Vnic[i].Device == device {
			return &st.net().Vnic[i]
		}
	}
	return nil
}

func (st *hostState) stack(key string) *types.HostNetStackInstance {
	for i := range st.net().NetStackInstance {
		if st.net().NetStackInstance[i].Key == key {
			return &st.net().NetStackInstance[i]
		}
	}
	return nil
}

func (st *hostState) hasPortgroup(name string) bool {
	for _, pg := range st.net().Portgroup {
		if pg.Spec.Name == name {
			return true
		}
	}
	return false
}

// nextDevice is the lowest free vmkN.
func (st *hostState) nextDevice() string {
	for n := 0; ; n++ {
		if st.vnic("vmk"+strconv.Itoa(n)) == nil {
			return "vmk" + strconv.Itoa(n)
		}
	}
}

func (st *hostState) mac(device string) string {
	n, _ := strconv.Atoi(strings.TrimPrefix(device, "vmk"))
	return fmt.Sprintf("00:50:56:%02x:%02x:%02x", 0x40+(st.index>>16)&0x3f, (st.index>>8)&0xff, (st.index+n*7)&0xff)
}

// newStack is a netstack instance as ESXi reports it.
func newStack(key string) types.HostNetStackInstance {
	return types.HostNetStackInstance{
		Key:                             key,
		Name:                            key,
		DnsConfig:                       &types.HostDnsConfig{Dhcp: false},
		IpRouteConfig:                   &types.HostIpRouteConfig{},
		RequestedMaxNumberOfConnections: 11000,
		CongestionControlAlgorithm:      "newreno",
		IpV6Enabled:                     types.NewBool(true),
	}
}

// ipConfig converts "a.b.c.d/len" and IPv6 "addr/len" lists into a HostIpConfig.
func ipConfig(ip string, ip6 []string) *types.HostIpConfig {
	cfg := &types.HostIpConfig{Dhcp: false}
	if ip != "" {
		addr, network, _ := net.ParseCIDR(ip)
		cfg.IpAddress = addr.String()
		cfg.SubnetMask = net.IP(network.Mask).String()
	}
	v6 := &types.HostIpConfigIpV6AddressConfiguration{
		AutoConfigurationEnabled: types.NewBool(false),
		DhcpV6Enabled:            types.NewBool(false),
	}
	for _, a := range ip6 {
		addr, network, _ := net.ParseCIDR(a)
		ones, _ := network.Mask.Size()
		v6.IpV6Address = append(v6.IpV6Address, types.HostIpConfigIpV6Address{
			IpAddress: addr.String(), PrefixLength: int32(ones), Origin: "manual", DadState: "preferred",
		})
	}
	cfg.IpV6Config = v6
	return cfg
}

// render rebuilds the derived properties: port group ports, vSwitch port groups, netstack gateway
// devices and config.virtualNicManagerInfo (candidates + selections).
func (st *hostState) render() {
	nw := st.net()
	sort.SliceStable(nw.Vnic, func(i, j int) bool { return devNum(nw.Vnic[i].Device) < devNum(nw.Vnic[j].Device) })
	var pgKeys []string
	for i := range nw.Portgroup {
		pg := &nw.Portgroup[i]
		pgKeys = append(pgKeys, pg.Key)
		pg.Port = nil
		for j := range nw.Vnic {
			v := &nw.Vnic[j]
			if v.Portgroup != pg.Spec.Name {
				continue
			}
			v.Port = fmt.Sprintf("key-vim.host.PortGroup.Port-%d", 33554432+devNum(v.Device)+16)
			pg.Port = append(pg.Port, types.HostPortGroupPort{Key: v.Port, Mac: []string{v.Spec.Mac}, Type: "host"})
		}
	}
	if len(nw.Vswitch) > 0 {
		nw.Vswitch[0].Portgroup = pgKeys
	}
	for i := range nw.NetStackInstance {
		ns := &nw.NetStackInstance[i]
		route, _ := ns.IpRouteConfig.(*types.HostIpRouteConfig)
		if route == nil {
			route = &types.HostIpRouteConfig{}
			ns.IpRouteConfig = route
		}
		route.GatewayDevice = st.gatewayDevice(ns.Key, route.DefaultGateway, false)
		route.IpV6GatewayDevice = st.gatewayDevice(ns.Key, route.IpV6DefaultGateway, true)
		if ns.Key == "defaultTcpipStack" {
			legacy := *route
			nw.IpRouteConfig = &legacy
		}
	}
	st.renderNetConfig()
}

func devNum(device string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(device, "vmk"))
	return n
}

// gatewayDevice is the first vmk of the stack whose subnet holds the gateway ("" when none).
func (st *hostState) gatewayDevice(stack, gateway string, v6 bool) string {
	gw := net.ParseIP(gateway)
	if gw == nil {
		return ""
	}
	for _, v := range st.net().Vnic {
		if v.Spec.NetStackInstanceKey != stack || v.Spec.Ip == nil {
			continue
		}
		if !v6 && v.Spec.Ip.IpAddress != "" {
			mask := net.IPMask(net.ParseIP(v.Spec.Ip.SubnetMask).To4())
			if (&net.IPNet{IP: net.ParseIP(v.Spec.Ip.IpAddress).Mask(mask), Mask: mask}).Contains(gw) {
				return v.Device
			}
		}
		if v6 && v.Spec.Ip.IpV6Config != nil {
			for _, a := range v.Spec.Ip.IpV6Config.IpV6Address {
				mask := net.CIDRMask(int(a.PrefixLength), 128)
				if (&net.IPNet{IP: net.ParseIP(a.IpAddress).Mask(mask), Mask: mask}).Contains(gw) {
					return v.Device
				}
			}
		}
	}
	return ""
}

// candidate reports whether a vmk may carry a service: default-stack vmks carry any service,
// a system stack's vmks only its own; an explicit selection always makes the vmk a candidate.
func (st *hostState) candidate(v types.HostVirtualNic, nicType string) bool {
	for _, d := range st.selected[nicType] {
		if d == v.Device {
			return true
		}
	}
	stack := v.Spec.NetStackInstanceKey
	if stack == "" || stack == "defaultTcpipStack" {
		return true
	}
	return stackService[stack] == nicType
}

func (st *hostState) renderNetConfig() {
	info := &types.HostVirtualNicManagerInfo{}
	for _, nicType := range nicTypes {
		nc := types.VirtualNicManagerNetConfig{NicType: nicType, MultiSelectAllowed: true}
		for _, v := range st.net().Vnic {
			if !st.candidate(v, nicType) {
				continue
			}
			c := v
			c.Key = nicType + "." + v.Key
			nc.CandidateVnic = append(nc.CandidateVnic, c)
		}
		for _, d := range st.selected[nicType] {
			nc.SelectedVnic = append(nc.SelectedVnic, nicType+"."+vnicKey(d))
		}
		info.NetConfig = append(info.NetConfig, nc)
	}
	st.cfg.VirtualNicManagerInfo = info
	if st.vnicMgr != nil {
		st.vnicMgr.Info = *info
	}
}

func (st *hostState) isSelected(nicType, device string) bool {
	for _, d := range st.selected[nicType] {
		if d == device {
			return true
		}
	}
	return false
}

func (st *hostState) selectVnic(nicType, device string) {
	if !st.isSelected(nicType, device) {
		st.selected[nicType] = append(st.selected[nicType], device)
	}
}

func (st *hostState) deselectVnic(nicType, device string) {
	kept := st.selected[nicType][:0]
	for _, d := range st.selected[nicType] {
		if d != device {
			kept = append(kept, d)
		}
	}
	st.selected[nicType] = kept
}

// addPortgroup adds a standard port group on vSwitch0 (no-op when present).
func (st *hostState) addPortgroup(name string, vlan int32) {
	if st.hasPortgroup(name) {
		return
	}
	st.net().Portgroup = append(st.net().Portgroup, types.HostPortGroup{
		Key:     "key-vim.host.PortGroup-" + name,
		Vswitch: "key-vim.host.VirtualSwitch-vSwitch0",
		ComputedPolicy: types.HostNetworkPolicy{
			Security:   &types.HostNetworkSecurityPolicy{AllowPromiscuous: types.NewBool(false)},
			NicTeaming: &types.HostNicTeamingPolicy{Policy: "loadbalance_srcid"},
		},
		Spec: types.HostPortGroupSpec{
			Name: name, VlanId: vlan, VswitchName: "vSwitch0",
			Policy: types.HostNetworkPolicy{Security: &types.HostNetworkSecurityPolicy{}},
		},
	})
}
